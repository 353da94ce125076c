/**
 * The R versions this repository has built already (data/built-r-versions.json), so the scheduled check builds
 * only what is new and stays idempotent. `minimumVersion` keeps the first run from building every R 4 ever released.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/fs.js';
import semver from 'semver';
import { UserError } from '../errors.js';

export interface VersionsFile {
  minimumVersion?: string;
  built: string[];
}

export const DEFAULT_VERSIONS_FILE = 'data/built-r-versions.json';

const EXACT = /^\d+\.\d+\.\d+$/;

export function parseVersionsFile(text: string, where = DEFAULT_VERSIONS_FILE): VersionsFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${where} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const fail = (problem: string): UserError =>
    new UserError(`${where}: ${problem}; expected {"minimumVersion": "4.5.0", "built": ["4.5.1", ...]}.`);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw fail('not a JSON object');
  const { minimumVersion, built } = doc as Record<string, unknown>;
  if (!Array.isArray(built) || !built.every((v) => typeof v === 'string' && EXACT.test(v))) {
    throw fail('"built" is not a list of exact R versions');
  }
  if (minimumVersion !== undefined && (typeof minimumVersion !== 'string' || !EXACT.test(minimumVersion))) {
    throw fail('"minimumVersion" is not an exact R version');
  }
  return { ...(minimumVersion !== undefined && { minimumVersion }), built: sortVersions(built as string[]) };
}

export function sortVersions(versions: Iterable<string>): string[] {
  return [...new Set(versions)].sort(semver.compare);
}

/** Pure: the file with `versions` recorded as built. */
export function recordVersions(file: VersionsFile, versions: string[]): VersionsFile {
  for (const v of versions) {
    if (!EXACT.test(v)) throw new UserError(`record: "${v}" is not an exact R version such as 4.5.2.`);
  }
  return { ...file, built: sortVersions([...file.built, ...versions]) };
}

export function formatVersionsFile(file: VersionsFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}

export async function readVersionsFile(path: string): Promise<VersionsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { built: [] };
    throw error;
  }
  return parseVersionsFile(text, path);
}

export async function writeVersionsFile(path: string, file: VersionsFile): Promise<void> {
  await writeFileAtomic(path, formatVersionsFile(file));
}
