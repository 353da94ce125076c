import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { downloadFile, fetchText, HttpStatusError } from '../../../src/util/fetch.js';

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
    await expect(fetchText(`${base}/other`)).rejects.toEqual(new HttpStatusError(`${base}/other`, 503));
  });

  it('downloads a file, and gives up on a download that stops sending', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rll-fetch-'));
    await downloadFile(`${base}/big`, path.join(dir, 'big'));
    expect((await readFile(path.join(dir, 'big'))).length).toBe(1 << 20);
    const started = performance.now();
    await expect(downloadFile(`${base}/stall`, path.join(dir, 'stall'), 300)).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
