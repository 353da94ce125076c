/**
 * Layer sizes against Lambda's limits, and where the bytes are, so a person knows what to prune.
 * Pure functions except directorySizes, which walks a tree.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../../util/format.js';
import { LAMBDA_LIMITS, type LayerRecord } from '../../layers.js';

export interface SizedPath {
  /** Relative to the measured root, '/'-separated. */
  path: string;
  bytes: number;
}

/**
 * The `n` largest directories worth pruning. Only the deepest entries of `tree` are candidates (a directory with
 * no listed subdirectory): a parent always outweighs its children, and naming `R` instead of `R/lib/R/library/foo`
 * tells nobody what to remove. Ties are broken by path so the list is stable.
 */
export function largestDirectories(tree: SizedPath[], n: number): SizedPath[] {
  const parents = new Set<string>();
  for (const { path: p } of tree) {
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) parents.add(p.slice(0, i));
  }
  return tree
    .filter((entry) => !parents.has(entry.path))
    .sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .slice(0, n);
}

/**
 * The bytes under each directory below `root` down to `depth` levels (1: the top-level entries' folders),
 * counting every file and symlink (lstat sizes, as the zips store them) in all levels below. Sorted by path.
 */
export async function directorySizes(root: string, depth: number): Promise<SizedPath[]> {
  const totals = new Map<string, number>();
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const parts = [...rel, entry.name];
      if (entry.isDirectory()) {
        if (parts.length <= depth) totals.set(parts.join('/'), totals.get(parts.join('/')) ?? 0);
        await walk(full, parts);
        continue;
      }
      const { size } = await lstat(full);
      // Add the file to each enclosing directory that is listed (those at depth 1..depth).
      for (let i = 1; i <= Math.min(rel.length, depth); i++) {
        const key = rel.slice(0, i).join('/');
        totals.set(key, (totals.get(key) ?? 0) + size);
      }
    }
  };
  await walk(root, []);
  return [...totals]
    .map(([p, bytes]) => ({ path: p, bytes }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The prune switches that help most, named as the CLI/action inputs spell them. */
const PRUNE_HINT =
  'prune more (the prune-help switch removes ~12 MB of help databases; keep prune-strip, prune-docs, ' +
  'prune-package-extras and prune-translations on) or install fewer packages';

/**
 * Every limit the layers break, each as a message that says what to do. `largest` (from largestDirectories)
 * is named in the messages so the person sees where the bytes are.
 */
export function checkLayerLimits(
  layers: LayerRecord[],
  largest: SizedPath[] = [],
  limits: typeof LAMBDA_LIMITS = LAMBDA_LIMITS,
): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  const where =
    largest.length === 0
      ? ''
      : ` Largest directories: ${largest.map((d) => `${d.path} (${formatBytes(d.bytes)})`).join(', ')}.`;
  for (const layer of layers) {
    if (layer.zippedBytes > limits.directUploadZippedBytes) {
      problems.push(
        `layer ${layer.name} (${layer.file}) is ${formatBytes(layer.zippedBytes)} zipped, over the ` +
          `${formatBytes(limits.directUploadZippedBytes)} limit for a direct upload to Lambda. ` +
          `Publish it through S3 (give the publisher a bucket), or ${PRUNE_HINT}.${where}`,
      );
    }
  }
  const unzipped = layers.reduce((sum, layer) => sum + layer.unzippedBytes, 0);
  if (unzipped > limits.totalUnzippedBytes) {
    problems.push(
      `the layers unzip to ${formatBytes(unzipped)} together, over Lambda's ${formatBytes(limits.totalUnzippedBytes)} ` +
        `limit for a function and all its layers (S3 does not help here): ${PRUNE_HINT}.${where}`,
    );
  }
  return { ok: problems.length === 0, problems };
}

/** A table a person can read: one row per layer, a total row, sizes against the limits. */
export function formatSizeTable(layers: LayerRecord[], limits: typeof LAMBDA_LIMITS = LAMBDA_LIMITS): string {
  const percent = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)}%`;
  const header = [
    'layer',
    'zipped',
    'unzipped',
    'files',
    `% of ${formatBytes(limits.directUploadZippedBytes)} zipped`,
  ];
  const rows = layers.map((l) => [
    l.name,
    formatBytes(l.zippedBytes),
    formatBytes(l.unzippedBytes),
    l.files.toLocaleString('en-US'),
    percent(l.zippedBytes, limits.directUploadZippedBytes),
  ]);
  const sum = (key: 'zippedBytes' | 'unzippedBytes' | 'files'): number =>
    layers.reduce((s, l) => s + l[key], 0);
  rows.push([
    'total',
    formatBytes(sum('zippedBytes')),
    formatBytes(sum('unzippedBytes')),
    sum('files').toLocaleString('en-US'),
    `unzipped: ${percent(sum('unzippedBytes'), limits.totalUnzippedBytes)} of ${formatBytes(limits.totalUnzippedBytes)}`,
  ]);
  const table = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  // Names left-aligned, numbers right-aligned, as in `du` or `ls -l`.
  const line = (row: string[]): string =>
    row
      .map((cell, i) =>
        i === 0 || i === row.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1] ?? [])].join(
    '\n',
  );
}
