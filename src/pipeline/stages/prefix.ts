/**
 * The prefix (/opt) is shared with whatever else the machine keeps there, so the pipeline only ever touches the
 * top-level entries it placed itself, listed in a marker file. A developer's /opt survives a build; a clean
 * container's /opt holds exactly the layer. A lock file keeps two builds from using one prefix at once.
 */
import { open, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { copyTree } from '../../util/fs.js';

export const MARKER = '.r-lambda-layer-owned';
export const LOCK = '.r-lambda-layer.lock';

/** Pure: the marker's entries, refusing anything that is not a plain top-level name. */
export function parseMarker(text: string, file: string): string[] {
  const entries = text.split('\n').filter(Boolean);
  for (const entry of entries) {
    if (entry === '.' || entry === '..' || entry.includes('/') || entry.includes('\0')) {
      throw new UserError(
        `${file} lists "${entry}", which is not a top-level name; remove that line (or the file) and rerun.`,
      );
    }
  }
  return entries;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class Prefix {
  private owned = new Set<string>();
  private locked = false;
  constructor(readonly dir: string) {}

  /** Take over the prefix: lock it, then forget (and remove) what an earlier run placed there. */
  async claim(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.lock();
    const file = path.join(this.dir, MARKER);
    this.owned = new Set(parseMarker(await readFile(file, 'utf8').catch(() => ''), file));
    await this.reset();
  }

  private async lock(): Promise<void> {
    const file = path.join(this.dir, LOCK);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        this.locked = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const pid = Number(await readFile(file, 'utf8').catch(() => ''));
        if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
          throw new UserError(
            `${this.dir} is in use by another r-lambda-layer build (process ${pid}); wait for it to finish, or build with another --prefix.`,
            { cause: error },
          );
        }
        // The build that held it is gone (killed, machine restarted): the lock is stale.
        await rm(file, { force: true });
      }
    }
    throw new UserError(
      `cannot lock ${this.dir}: ${LOCK} keeps reappearing; is another build starting right now?`,
    );
  }

  /** Let other builds use the prefix again. */
  async release(): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await rm(path.join(this.dir, LOCK), { force: true });
  }

  /** Remove everything this tool placed in the prefix. */
  async reset(): Promise<void> {
    for (const entry of this.owned) {
      await rm(path.join(this.dir, entry), { recursive: true, force: true });
    }
    this.owned.clear();
    await this.writeMarker();
  }

  /** Merge a staged tree (whose top level mirrors the prefix) into the prefix. */
  async add(stagedPrefix: string): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(stagedPrefix);
    } catch (error) {
      throw new Error(
        `staged files missing at ${stagedPrefix} (${(error as Error).message}); a dependency was not built or restored`,
        { cause: error },
      );
    }
    const existing = new Set(await readdir(this.dir));
    for (const entry of entries) {
      if (existing.has(entry) && !this.owned.has(entry)) {
        throw new UserError(
          `${path.join(this.dir, entry)} exists and was not made by r-lambda-layer; refusing to overwrite it. ` +
            `Move it away, or build with another --prefix (Lambda needs /opt for layers you deploy).`,
        );
      }
    }
    for (const entry of entries) this.owned.add(entry);
    await this.writeMarker();
    await copyTree(stagedPrefix, this.dir);
  }

  /** The top-level entries that make up the layer, sorted. */
  entries(): string[] {
    return [...this.owned].sort();
  }

  private async writeMarker(): Promise<void> {
    await writeFile(path.join(this.dir, MARKER), [...this.owned].sort().join('\n') + '\n');
  }
}
