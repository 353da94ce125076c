/**
 * The prefix (/opt) is shared with whatever else the machine keeps there, so the pipeline only ever touches the
 * top-level entries it placed itself, listed in a marker file. A developer's /opt survives a build; a clean
 * container's /opt holds exactly the layer.
 */
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { copyTree } from './process.js';

export const MARKER = '.r-lambda-layer-owned';

export class Prefix {
  private owned = new Set<string>();
  constructor(readonly dir: string) {}

  /** Take over the prefix: forget (and remove) what an earlier run placed there. */
  async claim(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const text = await readFile(path.join(this.dir, MARKER), 'utf8').catch(() => '');
    this.owned = new Set(text.split('\n').filter(Boolean));
    await this.reset();
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
    const entries = await readdir(stagedPrefix).catch(() => [] as string[]);
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
