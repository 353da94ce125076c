/**
 * The stage cache over GitHub's cache service (@actions/cache): one entry per stage, keyed by the stage's cache key,
 * holding the stage's staging folder. Caching is an optimisation, so nothing here fails a build: a restore problem
 * is a miss, a save problem (another job saving the same key, the service refusing, a full quota) is a warning.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import * as cache from '@actions/cache';
import type { Logger } from '../log.js';
import type { CacheBackend } from './backend.js';

/** The two calls this backend makes; @actions/cache itself by default. */
export interface CacheService {
  restoreCache(paths: string[], primaryKey: string): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class GitHubCache implements CacheBackend {
  readonly name = 'GitHub';

  constructor(
    private readonly log: Logger,
    private readonly service: CacheService = { restoreCache: cache.restoreCache, saveCache: cache.saveCache },
  ) {}

  /** Whether GitHub's cache service can be reached from this job (false on runners or servers without it). */
  static isAvailable(): boolean {
    return cache.isFeatureAvailable();
  }

  async restore(key: string, dir: string): Promise<boolean> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true });
    let matched: string | undefined;
    try {
      // The same path string as the save: GitHub's cache version is derived from the paths.
      matched = await this.service.restoreCache([dir], key);
    } catch (error) {
      this.log.warn(
        `GitHub cache: restoring ${key} failed (${errorText(error)}); building the stage instead`,
      );
      matched = undefined;
    }
    if (matched === key) return true;
    if (matched !== undefined)
      this.log.debug(`GitHub cache: ${matched} matched ${key} only by prefix; treated as a miss`);
    // A miss, a prefix match or a failed download may have left files behind: the build starts from an empty folder.
    await rm(dir, { recursive: true, force: true });
    return false;
  }

  async save(key: string, dir: string): Promise<void> {
    try {
      const id = await this.service.saveCache([dir], key);
      // @actions/cache reports most failures (quota, service errors, write denied) as -1 after logging them.
      if (id === -1)
        this.log.warn(
          `GitHub cache: ${key} was not saved (see the message above); the next run builds this stage again`,
        );
      else this.log.debug(`GitHub cache: saved ${key} (entry ${id})`);
    } catch (error) {
      if (error instanceof cache.ReserveCacheError || (error as Error)?.name === 'ReserveCacheError') {
        this.log.warn(
          `GitHub cache: ${key} is already being saved by another job; this job does not save it again`,
        );
      } else {
        this.log.warn(
          `GitHub cache: saving ${key} failed (${errorText(error)}); the build goes on without it`,
        );
      }
    }
  }
}
