/** manifest.json: what is in the layers and how they were made. Deterministic: no timestamps, sorted lists. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TOOL_VERSION } from '../version.js';
import type { Manifest, RPackageRecord } from './types.js';

/** Everything of the manifest but what this module fills in itself. */
export type ManifestInputs = Omit<Manifest, 'schemaVersion' | 'tool' | 'compatibleRuntimes'>;

export function buildManifest(inputs: ManifestInputs): Manifest {
  return {
    schemaVersion: 1,
    tool: { name: 'r-lambda-layer', version: TOOL_VERSION },
    rVersion: inputs.rVersion,
    architecture: inputs.architecture,
    compatibleRuntimes: ['provided.al2023'],
    prefix: inputs.prefix,
    stages: inputs.stages,
    rPackages: [...inputs.rPackages].sort(
      (a, b) => a.library.localeCompare(b.library) || a.name.localeCompare(b.name),
    ),
    layers: inputs.layers,
    host: inputs.host,
    glibcRequired: inputs.glibcRequired,
    lambdaCompatible: inputs.lambdaCompatible,
    warnings: inputs.warnings,
  };
}

export const manifestText = (manifest: Manifest): string => JSON.stringify(manifest, null, 2) + '\n';

/** Pure: the Package and Version fields of a DESCRIPTION file. */
export function parseDescription(text: string): { name?: string; version?: string } {
  return {
    name: /^Package:\s*(\S+)/m.exec(text)?.[1],
    version: /^Version:\s*(\S+)/m.exec(text)?.[1],
  };
}

/** Every package installed in a library folder, read from the DESCRIPTION files. */
export async function listInstalledPackages(
  libDir: string,
  library: RPackageRecord['library'],
): Promise<RPackageRecord[]> {
  const entries = await readdir(libDir).catch(() => [] as string[]);
  const records: RPackageRecord[] = [];
  for (const entry of entries.sort()) {
    const text = await readFile(path.join(libDir, entry, 'DESCRIPTION'), 'utf8').catch(() => undefined);
    if (!text) continue;
    const { name, version } = parseDescription(text);
    if (name && version) records.push({ name, version, library });
  }
  return records;
}
