import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CacheBackend } from './backend.js';
import { copyTree } from '../util/fs.js';

/**
 * A folder as the cache (the CLI's; the action's with cache-dir or without GitHub's cache service): one folder per
 * key under a local directory. A save copies to a hidden temporary folder and renames it into place, so an
 * interrupted or failed save never leaves an entry that looks complete.
 */
export class LocalDirectoryCache implements CacheBackend {
  readonly name = 'local directory';
  constructor(readonly root: string) {}

  private entry(key: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new Error(`invalid cache key: ${key}`);
    return path.join(this.root, key);
  }

  async restore(key: string, dir: string): Promise<boolean> {
    const entry = this.entry(key);
    const info = await stat(entry).catch(() => undefined);
    if (!info?.isDirectory()) return false;
    await rm(dir, { recursive: true, force: true });
    await copyTree(entry, dir);
    return true;
  }

  async save(key: string, dir: string): Promise<void> {
    const entry = this.entry(key);
    await mkdir(this.root, { recursive: true });
    const tmp = path.join(this.root, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    try {
      await copyTree(dir, tmp);
      await rm(entry, { recursive: true, force: true });
      await rename(tmp, entry);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
}
