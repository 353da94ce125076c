import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  downloadFile,
  fetchText,
  HttpStatusError,
  isTransient,
  parseRetryAfter,
  type RetryPolicy,
} from '../../../src/util/fetch.js';

/** Retries without the production pauses, recording what the caller is told. */
const fast = (said: string[] = [], tries = 4): RetryPolicy => ({
  tries,
  firstDelayMs: 10,
  maxDelayMs: 50,
  onRetry: (m) => said.push(m),
});

describe('bounded network reads', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/text') res.end('hello');
      else if (req.url === '/stall') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial'); // then nothing: a stalled mirror
      } else if (req.url === '/big') {
        res.end(Buffer.alloc(1 << 20, 7));
      } else res.writeHead(503).end('busy');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads text over HTTP and from file://, and reports HTTP errors by status', async () => {
    expect(await fetchText(`${base}/text`)).toBe('hello');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-fetch-'));
    await writeFile(path.join(dir, 'PACKAGES'), 'Package: x\n');
    expect(await fetchText(`file://${dir}/PACKAGES`)).toBe('Package: x\n');
    await expect(fetchText(`${base}/other`, 30_000, fetch, fast())).rejects.toEqual(
      new HttpStatusError(`${base}/other`, 503),
    );
  });

  it('downloads a file, and gives up on a download that stops sending', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-fetch-'));
    await downloadFile(`${base}/big`, path.join(dir, 'big'));
    expect((await readFile(path.join(dir, 'big'))).length).toBe(1 << 20);
    const started = performance.now();
    await expect(
      downloadFile(`${base}/stall`, path.join(dir, 'stall'), { idleMs: 300, retry: fast([], 1) }),
    ).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('downloads retry transient failures', () => {
  let server: Server;
  let base: string;
  /** Requests per path, so a test can fail its first tries. */
  const seen = new Map<string, number>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '';
      const n = (seen.get(url) ?? 0) + 1;
      seen.set(url, n);
      if (url === '/flaky') {
        // First a server error, then a connection dropped in the middle of the body, then the file.
        if (n === 1) res.writeHead(503).end('busy');
        else if (n === 2) {
          res.writeHead(200, { 'content-length': '1000' });
          res.write('half a file', () => res.destroy());
        } else res.end('the whole file');
      } else if (url === '/throttled') {
        if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
        else res.end('after the pause');
      } else if (url === '/always-busy') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial', () => res.destroy());
      } else res.writeHead(404).end('no such file');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a server that fails twice (a 503, then a dropped connection) is tried a third time, and the file is whole', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-retry-'));
    const said: string[] = [];
    await downloadFile(`${base}/flaky`, path.join(dir, 'file'), { retry: fast(said) });
    expect(await readFile(path.join(dir, 'file'), 'utf8')).toBe('the whole file');
    expect(seen.get('/flaky')).toBe(3);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(/\/flaky: HTTP 503; trying again in 0\.0 s \(try 2 of 4\)/);
    expect(said[1]).toMatch(/try 3 of 4/);
  });

  it("a 429 waits at least the server's Retry-After", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-retry-'));
    const said: string[] = [];
    const started = performance.now();
    await downloadFile(`${base}/throttled`, path.join(dir, 'file'), { retry: fast(said) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(said[0]).toMatch(/HTTP 429; trying again in 1\.0 s/);
    expect(await readFile(path.join(dir, 'file'), 'utf8')).toBe('after the pause');
  });

  it('gives up after the tries allowed, and leaves no partial file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-retry-'));
    await expect(
      downloadFile(`${base}/always-busy`, path.join(dir, 'file'), { retry: fast([], 3) }),
    ).rejects.toThrow();
    expect(seen.get('/always-busy')).toBe(3);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a 404 is not retried', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-retry-'));
    const said: string[] = [];
    await expect(
      downloadFile(`${base}/missing`, path.join(dir, 'file'), { retry: fast(said) }),
    ).rejects.toEqual(new HttpStatusError(`${base}/missing`, 404));
    expect(seen.get('/missing')).toBe(1);
    expect(said).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('knows which failures are transient, and reads Retry-After in both forms', () => {
    expect(isTransient(new HttpStatusError('u', 408))).toBe(true);
    expect(isTransient(new HttpStatusError('u', 502))).toBe(true);
    expect(isTransient(new HttpStatusError('u', 403))).toBe(false);
    expect(
      isTransient(
        new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
      ),
    ).toBe(true);
    expect(
      isTransient(
        new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' }) }),
      ),
    ).toBe(false);
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
