/**
 * The GitHub cache backend with @actions/cache replaced at the edge (GitHub's hosted cache service): hits, misses,
 * prefix matches and failures, and that a failing save is a warning, never a failure.
 */
import { jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { memoryLogger } from '../../../src/log.js';

class ReserveCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReserveCacheError';
  }
}

const restoreCache = jest.fn<(paths: string[], key: string) => Promise<string | undefined>>();
const saveCache = jest.fn<(paths: string[], key: string) => Promise<number>>();
const isFeatureAvailable = jest.fn<() => boolean>();

jest.unstable_mockModule('@actions/cache', () => ({
  restoreCache,
  saveCache,
  isFeatureAvailable,
  ReserveCacheError,
}));

const { GitHubCache } = await import('../../../src/cache/github.js');
const { NoCache } = await import('../../../src/cache/backend.js');

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gh-cache-'));
  restoreCache.mockReset();
  saveCache.mockReset();
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('GitHubCache', () => {
  it('restores an exact hit into the stage folder', async () => {
    const dir = path.join(tmp, 'stages', 'openssl');
    restoreCache.mockImplementation(async (paths, key) => {
      await mkdir(paths[0]!, { recursive: true });
      await writeFile(path.join(paths[0]!, 'lib.so'), 'x');
      return key;
    });
    const log = memoryLogger();
    expect(await new GitHubCache(log).restore('r-lambda-layer-openssl-abc', dir)).toBe(true);
    expect(restoreCache).toHaveBeenCalledWith([dir], 'r-lambda-layer-openssl-abc');
    expect(await readFile(path.join(dir, 'lib.so'), 'utf8')).toBe('x');
  });

  it('is a miss when nothing matches, leaving no folder behind', async () => {
    const dir = path.join(tmp, 'stages', 'R');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'stale'), 'old');
    restoreCache.mockResolvedValue(undefined);
    expect(await new GitHubCache(memoryLogger()).restore('k', dir)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('treats a match of another key (prefix match) as a miss and removes what it unpacked', async () => {
    const dir = path.join(tmp, 'stages', 'curl');
    restoreCache.mockImplementation(async (paths) => {
      await mkdir(paths[0]!, { recursive: true });
      await writeFile(path.join(paths[0]!, 'f'), 'other build');
      return 'r-lambda-layer-curl-abcdef-older';
    });
    expect(await new GitHubCache(memoryLogger()).restore('r-lambda-layer-curl-abcdef', dir)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('turns a failing restore into a miss with a warning', async () => {
    restoreCache.mockRejectedValue(new Error('Key Validation Error'));
    const log = memoryLogger();
    expect(await new GitHubCache(log).restore('k', path.join(tmp, 'x'))).toBe(false);
    expect(log.lines).toContain(
      'warning: GitHub cache: restoring k failed (Key Validation Error); building the stage instead',
    );
  });

  it('saves the stage folder under its key', async () => {
    saveCache.mockResolvedValue(42);
    await new GitHubCache(memoryLogger()).save('k', '/w/stages/zlib');
    expect(saveCache).toHaveBeenCalledWith(['/w/stages/zlib'], 'k');
  });

  it('warns, never throws, when a save fails', async () => {
    const log = memoryLogger();
    const cache = new GitHubCache(log);
    saveCache.mockRejectedValueOnce(new ReserveCacheError('Unable to reserve cache with key k'));
    await expect(cache.save('k', '/d')).resolves.toBeUndefined();
    saveCache.mockRejectedValueOnce(new Error('Path Validation Error'));
    await expect(cache.save('k', '/d')).resolves.toBeUndefined();
    saveCache.mockResolvedValueOnce(-1);
    await expect(cache.save('k', '/d')).resolves.toBeUndefined();
    expect(log.lines).toEqual([
      'warning: GitHub cache: k is already being saved by another job; this job does not save it again',
      'warning: GitHub cache: saving k failed (Path Validation Error); the build goes on without it',
      'warning: GitHub cache: k was not saved (see the message above); the next run builds this stage again',
    ]);
  });

  it("reports whether GitHub's cache service is available", () => {
    isFeatureAvailable.mockReturnValueOnce(false);
    expect(GitHubCache.isAvailable()).toBe(false);
    isFeatureAvailable.mockReturnValueOnce(true);
    expect(GitHubCache.isAvailable()).toBe(true);
  });
});

describe('NoCache', () => {
  it('misses every time and stores nothing', async () => {
    const dir = path.join(tmp, 'd');
    await mkdir(dir);
    const cache = new NoCache();
    expect(await cache.restore('k', dir)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(cache.save()).resolves.toBeUndefined();
  });
});
