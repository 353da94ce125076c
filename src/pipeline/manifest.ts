/** manifest.json: what is in the layers and how they were made. Deterministic: no timestamps, sorted lists. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TOOL_VERSION } from '../version.js';
import type { Manifest, RPackageRecord } from '../layers.js';

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
    lockfile: inputs.lockfile,
    hostLibraries: [...inputs.hostLibraries].sort((a, b) => a.soname.localeCompare(b.soname)),
    layers: inputs.layers,
    host: inputs.host,
    glibcRequired: inputs.glibcRequired,
    lambdaCompatible: inputs.lambdaCompatible,
    warnings: inputs.warnings,
  };
}

export const manifestText = (manifest: Manifest): string => JSON.stringify(manifest, null, 2) + '\n';

/** The Repository field of the project's own R packages (data/lambdaruntime). */
export const OWN_REPOSITORY = 'r-lambda-layer';

/** Pure: the fields of a DESCRIPTION file the manifest and the SBOM use. */
export function parseDescription(text: string): {
  name?: string;
  version?: string;
  license?: string;
  priority?: string;
  repository?: string;
} {
  // A field may continue on indented lines (License often does).
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:[ \\t]*(.*(?:\\n[ \\t]+.*)*)`, 'm').exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
  return {
    name: field('Package'),
    version: field('Version'),
    license: field('License'),
    priority: field('Priority'),
    repository: field('Repository'),
  };
}

/**
 * Every package installed in a library folder, read from the DESCRIPTION files, with the source tarball of those the
 * build installed (`sources`, by name).
 */
export async function listInstalledPackages(
  libDir: string,
  library: RPackageRecord['library'],
  sources: ReadonlyMap<string, { version: string; url?: string; sha256?: string }> = new Map(),
): Promise<RPackageRecord[]> {
  const entries = await readdir(libDir).catch(() => [] as string[]);
  const records: RPackageRecord[] = [];
  for (const entry of entries.sort()) {
    const text = await readFile(path.join(libDir, entry, 'DESCRIPTION'), 'utf8').catch(() => undefined);
    if (!text) continue;
    const { name, version, license, priority, repository } = parseDescription(text);
    if (!name || !version) continue;
    const source = sources.get(name);
    records.push({
      name,
      version,
      library,
      ...(license ? { license } : {}),
      ...(priority ? { priority } : {}),
      ...(repository === OWN_REPOSITORY ? { ownPackage: true } : {}),
      ...(source?.version === version && source.url ? { url: source.url, sha256: source.sha256 } : {}),
    });
  }
  return records;
}
