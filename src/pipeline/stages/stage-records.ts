/**
 * The records that travel with a stage's files, in its staging folder and so in its cache entry: `.stage.json`
 * (where a source stage's tarball came from and what its sum was checked against; `null` for a packages stage) and
 * `.packages.json` (each package a packages stage installed, with its tarball and sum). A cache hit reads them back
 * for the manifest and the SBOM; a hit whose record is missing or damaged cannot say what it holds, so the pipeline
 * treats it as a miss and builds the stage again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StageRecord } from '../../layers.js';
import type { InstalledPackage } from './stage-runner.js';

export const STAGE_RECORD_FILE = '.stage.json';
export const PACKAGES_RECORD_FILE = '.packages.json';

/** What a stage's records say: its source record (source stages) and its installed packages (packages stages). */
export interface StageRecords {
  record: StageRecord | undefined;
  packages: InstalledPackage[];
}

/** Why a stage's records cannot be used: which file, and what is wrong with it. */
export interface DamagedRecord {
  file: string;
  problem: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const isStageRecord = (v: unknown): v is StageRecord =>
  isObject(v) &&
  ['name', 'version', 'url', 'sha256', 'sha256Source', 'cacheKey'].every((k) => typeof v[k] === 'string') &&
  Array.isArray(v.flags);

const isInstalledPackage = (v: unknown): v is InstalledPackage =>
  isObject(v) && typeof v.name === 'string' && typeof v.version === 'string';

/** Read and parse one record file; a DamagedRecord when it is missing, not JSON, or not the expected shape. */
async function readRecord<T>(
  file: string,
  valid: (v: unknown) => v is T,
  shape: string,
): Promise<{ value: T } | DamagedRecord> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      file,
      problem: code === 'ENOENT' ? 'missing' : `unreadable (${code ?? (error as Error).message})`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { file, problem: `not JSON (${(error as Error).message})` };
  }
  return valid(value) ? { value } : { file, problem: `not ${shape}` };
}

/** The records of a restored stage, or what is wrong with them. */
export async function readStageRecords(
  dir: string,
  kind: 'source' | 'r-packages',
): Promise<StageRecords | DamagedRecord> {
  if (kind === 'source') {
    const record = await readRecord(path.join(dir, STAGE_RECORD_FILE), isStageRecord, 'a stage record');
    return 'problem' in record ? record : { record: record.value, packages: [] };
  }
  const packages = await readRecord(
    path.join(dir, PACKAGES_RECORD_FILE),
    (v): v is InstalledPackage[] => Array.isArray(v) && v.every(isInstalledPackage),
    'a list of installed packages',
  );
  return 'problem' in packages ? packages : { record: undefined, packages: packages.value };
}

/** Write a built stage's records into its staging folder, before it is cached. */
export async function writeStageRecords(
  dir: string,
  kind: 'source' | 'r-packages',
  records: StageRecords,
): Promise<void> {
  if (kind === 'r-packages')
    await writeFile(path.join(dir, PACKAGES_RECORD_FILE), JSON.stringify(records.packages));
  // A packages stage writes `null`, so every stage folder has the same two-file form as before.
  await writeFile(path.join(dir, STAGE_RECORD_FILE), JSON.stringify(records.record ?? null));
}
