import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { chooseLocation, fetchSource } from '../../../src/pipeline/stages/sources.js';
import { memoryLogger } from '../../../src/log.js';
import type { SourceSpec } from '../../../src/pipeline/plan/plan.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const spec = (over: Partial<SourceSpec> = {}): SourceSpec => ({
  upstreamUrl: 'https://example.org/pkg-1.0.tar.gz',
  fileName: 'pkg-1.0.tar.gz',
  sha256Source: 'pinned',
  ...over,
});

describe('source lookup', () => {
  it('prefers an override, then the mirror by file name, then upstream', () => {
    expect(chooseLocation(spec({ overrideLocation: '/o/x.tgz' }), '/m')).toEqual({
      location: '/o/x.tgz',
      via: 'override',
    });
    expect(chooseLocation(spec(), '/m')).toEqual({ location: '/m/pkg-1.0.tar.gz', via: 'mirror' });
    expect(chooseLocation(spec(), 'https://mirror.example/src/')).toEqual({
      location: 'https://mirror.example/src/pkg-1.0.tar.gz',
      via: 'mirror',
    });
    expect(chooseLocation(spec(), undefined)).toEqual({
      location: 'https://example.org/pkg-1.0.tar.gz',
      via: 'upstream',
    });
  });
});

describe('fetching and verifying', () => {
  let dir: string;
  let mirror: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rll-src-'));
    mirror = path.join(dir, 'mirror');
    await import('node:fs/promises').then((fs) => fs.mkdir(mirror));
    await writeFile(path.join(mirror, 'pkg-1.0.tar.gz'), 'the real tarball');
  });

  it('copies from the mirror and verifies the sum', async () => {
    const log = memoryLogger();
    const got = await fetchSource(
      'pkg',
      spec({ sha256: sha('the real tarball') }),
      mirror,
      path.join(dir, 'dl'),
      log,
    );
    expect(got.sha256).toBe(sha('the real tarball'));
    expect(got.url).toBe(`file://${mirror}/pkg-1.0.tar.gz`);
    expect(log.lines.filter((l) => l.startsWith('warning'))).toEqual([]);
  });

  it('a tampered file fails naming the file, expected and actual sums, and is deleted', async () => {
    await writeFile(path.join(mirror, 'pkg-1.0.tar.gz'), 'tampered');
    const expected = sha('the real tarball');
    const promise = fetchSource(
      'pkg',
      spec({ sha256: expected }),
      mirror,
      path.join(dir, 'dl'),
      memoryLogger(),
    );
    await expect(promise).rejects.toThrow(new RegExp(`pkg: checksum mismatch for ${mirror}/pkg-1.0.tar.gz`));
    await expect(
      fetchSource('pkg', spec({ sha256: expected }), mirror, path.join(dir, 'dl'), memoryLogger()),
    ).rejects.toThrow(
      new RegExp(`expected sha256 ${expected} \\(pinned\\)\\n  actual   sha256 ${sha('tampered')}`),
    );
    expect(await readdir(path.join(dir, 'dl'))).toEqual([]);
  });

  it('a file missing from the mirror says what to do', async () => {
    const promise = fetchSource(
      'pkg',
      spec({ fileName: 'pkg-2.0.tar.gz' }),
      mirror,
      path.join(dir, 'dl'),
      memoryLogger(),
    );
    await expect(promise).rejects.toThrow(
      /pkg: source file .*pkg-2\.0\.tar\.gz does not exist \(mirror\)\. Put pkg-2\.0\.tar\.gz in the mirror, or give --override pkg=/,
    );
  });

  it('with no sum to check against, warns with the computed sum', async () => {
    const log = memoryLogger();
    const got = await fetchSource(
      'pkg',
      spec({ sha256Source: 'computed' }),
      mirror,
      path.join(dir, 'dl'),
      log,
    );
    expect(log.lines.join('\n')).toMatch(
      new RegExp(`warning: pkg: no pinned or given sha256 .* computed ${got.sha256}`),
    );
  });

  describe('over HTTP', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/src/pkg-1.0.tar.gz') res.end('served bytes');
        else res.writeHead(404).end('no');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('downloads from a mirror URL by file name and verifies', async () => {
      const got = await fetchSource(
        'pkg',
        spec({ sha256: sha('served bytes') }),
        `${base}/src`,
        path.join(dir, 'dl'),
        memoryLogger(),
      );
      expect(got.url).toBe(`${base}/src/pkg-1.0.tar.gz`);
    });

    it('an HTTP error names the status', async () => {
      const promise = fetchSource(
        'pkg',
        spec({ overrideLocation: `${base}/nope.tgz` }),
        undefined,
        path.join(dir, 'dl'),
        memoryLogger(),
      );
      await expect(promise).rejects.toThrow(/pkg: downloading .*nope\.tgz failed with HTTP 404/);
      expect(await readdir(path.join(dir, 'dl'))).toEqual([]);
    });
  });
});
