/**
 * The build id stamped into the r layer (R/BUILD-ID) and the subsystem layer (BUILD-ID, beside bootstrap): the runtime compares
 * the two at init, so an r.zip and a subsystem.zip of different builds (R, the runtime package and its codec on one
 * side, bootstrap and the libraries R links on the other) fail with a message naming the layers, instead of running
 * mismatched code. Derived from the build's inputs (every stage's cache key and the runtime's files), not from the
 * clock, so a rebuild from the same inputs stays byte-identical.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { layerDir } from '../paths.js';
import { sha256, sha256Tree } from '../util/hash.js';

/** Where the id lies in the layer tree, per layer; data/lambdaruntime/R/loop.R reads the same two paths. */
export const BUILD_ID_FILES = {
  r: path.join('R', 'BUILD-ID'),
  subsystem: 'BUILD-ID',
} as const;

export async function buildId(stageKeys: string[]): Promise<string> {
  return sha256(`${[...stageKeys].sort().join('\n')}\n${await sha256Tree(layerDir())}`);
}

/** Writes the id into both layers' parts of the tree. */
export async function stampBuildId(tree: string, stageKeys: string[]): Promise<string> {
  const id = await buildId(stageKeys);
  for (const file of Object.values(BUILD_ID_FILES)) await writeFile(path.join(tree, file), `${id}\n`);
  return id;
}
