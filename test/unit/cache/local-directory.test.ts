import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  symlink,
  writeFile,
  chmod,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalDirectoryCache } from '../../../src/cache/local-directory.js';

describe('local directory cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rll-cache-'));
  });

  it('misses, saves, then restores the same tree with modes and symlinks', async () => {
    const cache = new LocalDirectoryCache(path.join(dir, 'cache'));
    const stage = path.join(dir, 'stage');
    await mkdir(path.join(stage, 'opt/bin'), { recursive: true });
    await writeFile(path.join(stage, 'opt/bin/tool'), '#!/bin/sh\necho hi\n');
    await chmod(path.join(stage, 'opt/bin/tool'), 0o755);
    await symlink('tool', path.join(stage, 'opt/bin/alias'));

    expect(await cache.restore('k1', path.join(dir, 'restored'))).toBe(false);
    await cache.save('k1', stage);
    expect(await cache.restore('k1', path.join(dir, 'restored'))).toBe(true);
    expect(await readFile(path.join(dir, 'restored/opt/bin/tool'), 'utf8')).toContain('echo hi');
    expect((await lstat(path.join(dir, 'restored/opt/bin/tool'))).mode & 0o777).toBe(0o755);
    expect(await readlink(path.join(dir, 'restored/opt/bin/alias'))).toBe('tool');
  });

  it('a failed save leaves no entry and no temporary folder', async () => {
    const cache = new LocalDirectoryCache(path.join(dir, 'cache'));
    await expect(cache.save('k2', path.join(dir, 'does-not-exist'))).rejects.toThrow();
    expect(await readdir(path.join(dir, 'cache'))).toEqual([]);
    expect(await cache.restore('k2', path.join(dir, 'r2'))).toBe(false);
  });

  it('rejects keys that could escape the cache folder', async () => {
    const cache = new LocalDirectoryCache(path.join(dir, 'cache'));
    await expect(cache.restore('../etc', path.join(dir, 'x'))).rejects.toThrow(/invalid cache key/);
  });
});
