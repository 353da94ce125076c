/**
 * The stage cache the pipeline sees: one interface, three backends. The pipeline never knows which one it has.
 * - LocalDirectoryCache (local-directory.ts): a folder, for the CLI and for the action outside GitHub or with cache-dir;
 * - GitHubCache (github.ts): GitHub's cache service, in Actions;
 * - NoCache (here): nothing cached (`cache: false`).
 */
import { rm } from 'node:fs/promises';

/** A cache of stage outputs, one entry per stage cache key. */
export interface CacheBackend {
  readonly name: string;
  /** Fill `dir` (which must not exist yet) from the entry `key`; false on a miss. */
  restore(key: string, dir: string): Promise<boolean>;
  /**
   * Store `dir` under `key`. Atomic: an interrupted save leaves no entry.
   * Throws on failure; callers warn and go on (a failed save never fails a build).
   */
  save(key: string, dir: string): Promise<void>;
}

/** No caching at all (`cache: false`): every stage is a miss and nothing is stored. */
export class NoCache implements CacheBackend {
  readonly name = 'none';
  async restore(key: string, dir: string): Promise<boolean> {
    await rm(dir, { recursive: true, force: true });
    return false;
  }
  async save(): Promise<void> {}
}
