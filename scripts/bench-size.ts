/**
 * Size benchmark: how much each level of pruning takes off the r layer (R/), measured in one run on the same build.
 *
 *   npx tsx scripts/bench-size.ts [--work-dir DIR] [--prefix /opt] [--out bench-results/size.json]
 *
 * It needs a finished `r-lambda-layer build` (the staged stages under WORK_DIR/stages), assembles the unpruned tree
 * from them, then for each variant copies it, prunes with that variant's switches and zips R/ exactly as the build
 * does. Prints a table with ratios against the unpruned tree and writes the figures as JSON.
 *
 * The last row estimates recommended-packages: false from the same build: the default pruning, then every package of
 * R's library whose DESCRIPTION says `Priority: recommended` removed. A build configured --without-recommended-packages
 * (`--no-recommended-packages`) gives the real figure; this one needs no R rebuild.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { memoryLogger } from '../src/log.js';
import { toolHome } from '../src/pipeline/plan/options.js';
import { copyTree } from '../src/util/fs.js';
import { pruneTree } from '../src/pipeline/tree/prune.js';
import { DEFAULT_PRUNE, type PruneOptions } from '../src/pipeline/plan/prune-options.js';
import { formatBytes } from '../src/util/format.js';
import { writeLayerZip } from '../src/pipeline/output/zip.js';
import { parseDescription } from '../src/pipeline/output/manifest.js';
import { LAYOUT } from '../src/layers.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const workDir = arg('--work-dir', path.join(toolHome(), 'work'));
const prefix = arg('--prefix', '/opt');
const outFile = arg('--out', 'bench-results/size.json');

const none: PruneOptions = Object.fromEntries(
  Object.keys(DEFAULT_PRUNE).map((k) => [k, false]),
) as unknown as PruneOptions;
const variants: { name: string; options: PruneOptions; withoutRecommended?: true }[] = [
  { name: 'unpruned', options: none },
  {
    name: "the original blog recipe's pruning (tcltk, translations)",
    options: { ...none, translations: true },
  },
  {
    name: '+ strip, docs, man pages, static libs, package html/doc/tests/demo',
    // The default but for the last row's two steps.
    options: { ...DEFAULT_PRUNE, help: false, headers: false },
  },
  { name: '+ help databases and headers (the default)', options: DEFAULT_PRUNE },
  {
    name: 'the default, without recommended packages (removed from the tree)',
    options: DEFAULT_PRUNE,
    withoutRecommended: true,
  },
];

/** Remove the packages of R's library whose DESCRIPTION says Priority: recommended; their names, sorted. */
async function removeRecommended(tree: string): Promise<string[]> {
  const library = path.join(tree, LAYOUT.rLibrary);
  const removed: string[] = [];
  for (const name of await readdir(library)) {
    const text = await readFile(path.join(library, name, 'DESCRIPTION'), 'utf8').catch(() => '');
    if (parseDescription(text).priority !== 'recommended') continue;
    await rm(path.join(library, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed.sort();
}

async function main(): Promise<void> {
  const stagesDir = path.join(workDir, 'stages');
  const stages = await readdir(stagesDir).catch(() => [] as string[]);
  if (!stages.includes('R')) {
    throw new Error(`no built R under ${stagesDir}: run r-lambda-layer build first (or pass --work-dir).`);
  }
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'rll-bench-size-'));
  try {
    const base = path.join(scratch, 'base');
    for (const stage of stages) await copyTree(path.join(stagesDir, stage, prefix), base);
    const results: {
      variant: string;
      zippedBytes: number;
      unzippedBytes: number;
      files: number;
      prunedSeconds: number;
    }[] = [];
    for (const variant of variants) {
      const tree = path.join(scratch, 'tree');
      await rm(tree, { recursive: true, force: true });
      await copyTree(base, tree);
      const started = performance.now();
      await pruneTree(tree, variant.options, memoryLogger());
      if (variant.withoutRecommended) {
        const removed = await removeRecommended(tree);
        if (!removed.length)
          throw new Error(`no recommended package in ${LAYOUT.rLibrary}: was R built without them?`);
        console.log(`without recommended packages: removed ${removed.join(', ')}`);
      }
      const prunedSeconds = (performance.now() - started) / 1000;
      const zip = await writeLayerZip(tree, ['R'], path.join(scratch, 'r.zip'), { installedPrefix: prefix });
      results.push({
        variant: variant.name,
        zippedBytes: zip.zippedBytes,
        unzippedBytes: zip.unzippedBytes,
        files: zip.files,
        prunedSeconds,
      });
    }
    const raw = results[0]!;
    const rows = results.map((r) => [
      r.variant,
      formatBytes(r.zippedBytes),
      formatBytes(r.unzippedBytes),
      String(r.files),
      `${(r.zippedBytes / raw.zippedBytes).toFixed(2)}`,
      r.zippedBytes <= 50 * 1024 * 1024 ? 'yes' : 'no',
    ]);
    const header = ['r layer (R/)', 'zipped', 'unzipped', 'files', 'zipped / unpruned', '≤ 50 MB'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]): string =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
    await writeFile(
      outFile,
      JSON.stringify({ measuredAt: new Date().toISOString(), workDir, results }, null, 2) + '\n',
    );
    console.log(`figures written to ${outFile}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench-size: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
