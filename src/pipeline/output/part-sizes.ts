/**
 * Which part of the layers takes the room: each package of the site-library (r_lib.zip) and each shared library
 * copied from the build host into lib/ (subsystem.zip), unzipped, largest first. So a person sees which package, or
 * which package's system library, pushes the layers toward Lambda's 250 MB.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../../util/format.js';
import { LAYOUT, type HostLibraryRecord } from '../../layers.js';

export interface PartSize {
  kind: 'package' | 'library';
  name: string;
  /** For a copied library: the OS package it came from. */
  from?: string;
  bytes: number;
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await treeBytes(full) : (await lstat(full)).size;
  }
  return total;
}

/** The site-library's packages and the copied libraries of `tree`, largest first. */
export async function partSizes(
  tree: string,
  hostLibraries: readonly HostLibraryRecord[],
): Promise<PartSize[]> {
  const site = path.join(tree, LAYOUT.siteLibrary);
  const parts: PartSize[] = [];
  for (const name of (await readdir(site).catch(() => [] as string[])).sort())
    parts.push({ kind: 'package', name, bytes: await treeBytes(path.join(site, name)) });
  for (const lib of hostLibraries) {
    const { size } = await lstat(path.join(tree, LAYOUT.lib, lib.soname));
    parts.push({
      kind: 'library',
      name: lib.soname,
      ...(lib.package ? { from: lib.package } : {}),
      bytes: size,
    });
  }
  return parts.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

/** Pure: the table under the layer sizes; empty when there is nothing to list. */
export function formatPartSizes(parts: readonly PartSize[]): string {
  if (parts.length === 0) return '';
  const rows = parts.map((p) => [
    p.kind === 'package' ? `r_lib    package ${p.name}` : `lib/     ${p.name}${p.from ? ` (${p.from})` : ''}`,
    formatBytes(p.bytes),
  ]);
  const width = Math.max(...rows.map((r) => (r[0] ?? '').length), 'part'.length);
  return [
    `${'part (unzipped, largest first)'.padEnd(width)}  size`,
    ...rows.map(([name = '', size = '']) => `${name.padEnd(width)}  ${size.padStart(9)}`),
  ].join('\n');
}
