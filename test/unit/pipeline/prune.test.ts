import { execFileSync } from 'node:child_process';
import { cp, copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { memoryLogger } from '../../../src/log.js';
import { PRUNE_RULES, pruneTree, selects, stripElfFiles } from '../../../src/pipeline/tree/prune.js';
import { DEFAULT_PRUNE, type PruneOptions } from '../../../src/pipeline/plan/prune-options.js';

const NONE: PruneOptions = {
  translations: false,
  strip: false,
  docs: false,
  manPages: false,
  staticLibs: false,
  packageExtras: false,
  help: false,
  headers: false,
};

/** Relative path → size in bytes of the fake prefix. */
const TREE: Record<string, number> = {
  bootstrap: 100,
  'bin/curl-config': 200,
  'include/openssl/ssl.h': 1000,
  'lib/libssl.so.3': 5000,
  'lib/libssl.a': 7000,
  'lib/libssl.la': 300,
  'lib/pkgconfig/openssl.pc': 50,
  'share/man/man3/SSL.3': 400,
  'share/doc/openssl/html/man3/SSL.html': 900,
  'share/info/xz.info': 600,
  'share/aclocal/libxml.m4': 70,
  'man/man1/bzip2.1': 60,
  'R/bin/R': 80,
  'R/share/man/man1/R.1': 90,
  'R/lib/R/doc/manual/R-intro.pdf': 3000,
  'R/lib/R/doc/NEWS.rds': 20,
  'R/lib/R/include/R.h': 500,
  'R/lib/R/lib/libR.so': 9000,
  'R/lib/R/library/tcltk/DESCRIPTION': 10,
  'R/lib/R/library/tcltk/R/tcltk.rdb': 700,
  'R/lib/R/library/translations/DESCRIPTION': 11,
  'R/lib/R/library/translations/de/LC_MESSAGES/R.mo': 800,
  'R/lib/R/library/translations/fr/LC_MESSAGES/R.mo': 810,
  'R/lib/R/library/translations/en/LC_MESSAGES/R.mo': 820,
  'R/lib/R/library/translations/en@quot/LC_MESSAGES/R.mo': 830,
  'R/lib/R/library/translations/en_GB/LC_MESSAGES/R.mo': 840,
  'R/lib/R/library/stats/DESCRIPTION': 12,
  'R/lib/R/library/stats/NAMESPACE': 13,
  'R/lib/R/library/stats/INDEX': 14,
  'R/lib/R/library/stats/Meta/package.rds': 15,
  'R/lib/R/library/stats/R/stats.rdb': 1600,
  'R/lib/R/library/stats/R/stats.rdx': 160,
  'R/lib/R/library/stats/data/Rdata.rdb': 170,
  'R/lib/R/library/stats/libs/stats.so': 1700,
  'R/lib/R/library/stats/help/stats.rdb': 1800,
  'R/lib/R/library/stats/help/stats.rdx': 180,
  'R/lib/R/library/stats/help/aliases.rds': 18,
  'R/lib/R/library/stats/help/AnIndex': 19,
  'R/lib/R/library/stats/html/00Index.html': 190,
  'R/lib/R/library/stats/doc/vignette.pdf': 1900,
  'R/lib/R/library/stats/tests/test.R': 191,
  'R/lib/R/library/stats/demo/demo.R': 192,
  'R/lib/R/library/stats/po/de/LC_MESSAGES/R-stats.mo': 193,
  'R/lib/R/library/stats/po/en@quot/LC_MESSAGES/R-stats.mo': 194,
  'local/lib/R/site-library/aws.s3/DESCRIPTION': 21,
  'local/lib/R/site-library/aws.s3/R/aws.s3.rdb': 2100,
  'local/lib/R/site-library/aws.s3/help/aws.s3.rdb': 2200,
  'local/lib/R/site-library/aws.s3/html/00Index.html': 220,
  'local/lib/R/site-library/aws.s3/tests/testthat/test-a.R': 230,
};

async function makeTree(root: string): Promise<void> {
  for (const [rel, size] of Object.entries(TREE)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), Buffer.alloc(size, 0x61));
  }
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

const sum = (paths: string[]): number => paths.reduce((s, p) => s + (TREE[p] ?? NaN), 0);

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'prune-test-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the help rule picks help databases only, never the lazy-load database of the R code', () => {
  const help = PRUNE_RULES.find((r) => r.id === 'help');
  if (!help || !('remove' in help.action)) throw new Error('help rule missing');
  const sel = help.action.remove;
  expect(selects(sel, 'R/lib/R/library/stats/help/stats.rdb', false)).toBe(true);
  expect(selects(sel, 'local/lib/R/site-library/aws.s3/help/aws.s3.rdx', false)).toBe(true);
  expect(selects(sel, 'R/lib64/R/library/stats/help/stats.rdb', false)).toBe(true);
  expect(selects(sel, 'R/lib/R/library/stats/R/stats.rdb', false)).toBe(false);
  expect(selects(sel, 'R/lib/R/library/stats/data/Rdata.rdb', false)).toBe(false);
  expect(selects(sel, 'R/lib/R/library/stats/help/aliases.rds', false)).toBe(false);
});

test('every rule on: the right files go, English, DESCRIPTION and what library() reads stay', async () => {
  const root = path.join(work, 'opt');
  await makeTree(root);
  const log = memoryLogger();
  const report = await pruneTree(root, DEFAULT_PRUNE, log);

  const kept = await listFiles(root);
  expect(kept).toEqual(
    [
      'bootstrap',
      'bin/curl-config',
      'lib/libssl.so.3',
      'R/bin/R',
      'R/lib/R/doc/NEWS.rds',
      'R/lib/R/lib/libR.so',
      'R/lib/R/library/translations/DESCRIPTION',
      'R/lib/R/library/translations/en/LC_MESSAGES/R.mo',
      'R/lib/R/library/translations/en@quot/LC_MESSAGES/R.mo',
      'R/lib/R/library/translations/en_GB/LC_MESSAGES/R.mo',
      'R/lib/R/library/stats/DESCRIPTION',
      'R/lib/R/library/stats/NAMESPACE',
      'R/lib/R/library/stats/INDEX',
      'R/lib/R/library/stats/Meta/package.rds',
      'R/lib/R/library/stats/R/stats.rdb',
      'R/lib/R/library/stats/R/stats.rdx',
      'R/lib/R/library/stats/data/Rdata.rdb',
      'R/lib/R/library/stats/libs/stats.so',
      'R/lib/R/library/stats/help/aliases.rds',
      'R/lib/R/library/stats/help/AnIndex',
      'R/lib/R/library/stats/po/en@quot/LC_MESSAGES/R-stats.mo',
      'local/lib/R/site-library/aws.s3/DESCRIPTION',
      'local/lib/R/site-library/aws.s3/R/aws.s3.rdb',
    ].sort(),
  );

  const byId = Object.fromEntries(report.rules.map((r) => [r.id, r]));
  expect(Object.keys(byId)).toEqual([
    'translations',
    'docs',
    'manPages',
    'staticLibs',
    'packageExtras',
    'help',
    'headers',
    'strip',
  ]);
  const translations = [
    'R/lib/R/library/tcltk/DESCRIPTION',
    'R/lib/R/library/tcltk/R/tcltk.rdb',
    'R/lib/R/library/translations/de/LC_MESSAGES/R.mo',
    'R/lib/R/library/translations/fr/LC_MESSAGES/R.mo',
    'R/lib/R/library/stats/po/de/LC_MESSAGES/R-stats.mo',
  ];
  expect(byId.translations).toMatchObject({ filesRemoved: 5, bytesSaved: sum(translations) });
  expect(byId.docs).toMatchObject({
    filesRemoved: 3,
    bytesSaved: sum([
      'R/lib/R/doc/manual/R-intro.pdf',
      'share/doc/openssl/html/man3/SSL.html',
      'share/info/xz.info',
    ]),
  });
  expect(byId.manPages).toMatchObject({ filesRemoved: 3, bytesSaved: 400 + 90 + 60 });
  expect(byId.staticLibs).toMatchObject({ filesRemoved: 2, bytesSaved: 7000 + 300 });
  expect(byId.packageExtras).toMatchObject({
    filesRemoved: 6,
    bytesSaved: 190 + 1900 + 191 + 192 + 220 + 230,
  });
  expect(byId.help).toMatchObject({ filesRemoved: 3, bytesSaved: 1800 + 180 + 2200 });
  expect(byId.headers).toMatchObject({ filesRemoved: 4, bytesSaved: 1000 + 500 + 50 + 70 });
  expect(byId.strip).toMatchObject({ filesRemoved: 0, bytesSaved: 0, filesChanged: 0 }); // no ELF in the fake tree

  const removed = Object.keys(TREE).filter((p) => !kept.includes(p));
  expect(report.filesRemoved).toBe(removed.length);
  expect(report.bytesSaved).toBe(sum(removed));
  expect(log.lines).toContain(
    `prune translations: removed 5 files, ${(sum(translations) / 1024).toFixed(1)} KB`,
  );
  expect(log.lines.filter((l) => l.startsWith('prune '))).toHaveLength(8);
});

test('a switch that is off leaves its files alone', async () => {
  const root = path.join(work, 'opt');
  await makeTree(root);
  const report = await pruneTree(root, { ...NONE, translations: true }, memoryLogger());
  expect(report.rules.map((r) => r.id)).toEqual(['translations']);
  const kept = await listFiles(root);
  expect(kept).toContain('share/man/man3/SSL.3');
  expect(kept).toContain('lib/libssl.a');
  expect(kept).toContain('R/lib/R/library/stats/help/stats.rdb');
  expect(kept).not.toContain('R/lib/R/library/translations/de/LC_MESSAGES/R.mo');

  const nothing = await pruneTree(root, NONE, memoryLogger());
  expect(nothing).toEqual({ rules: [], bytesSaved: 0, filesRemoved: 0 });
});

test('R in lib64 is pruned the same way', async () => {
  const root = path.join(work, 'opt');
  await mkdir(path.join(root, 'R/lib64/R/library/translations/de'), { recursive: true });
  await writeFile(path.join(root, 'R/lib64/R/library/translations/de/R.mo'), 'x');
  await writeFile(path.join(root, 'R/lib64/R/library/translations/DESCRIPTION'), 'x');
  await pruneTree(root, { ...NONE, translations: true }, memoryLogger());
  expect(await listFiles(root)).toEqual(['R/lib64/R/library/translations/DESCRIPTION']);
});

test('strip makes real ELF files smaller; they keep their dynamic symbols and still run', async () => {
  const root = path.join(work, 'opt');
  await mkdir(path.join(root, 'lib'), { recursive: true });
  // Debian ships libR.so already stripped: it must come through valid (and unchanged in size).
  const libR = path.join(root, 'lib/libR.so');
  await copyFile('/usr/lib/R/lib/libR.so', libR);
  // A library and an executable with debug info, built here as an unstripped /opt build would be.
  await writeFile(path.join(work, 'greet.c'), 'int greet(int x) { return x * 2; }\n');
  const lib = path.join(root, 'lib/libgreet.so.1');
  execFileSync('gcc', ['-g', '-shared', '-fPIC', '-o', lib, path.join(work, 'greet.c')]);
  await writeFile(
    path.join(work, 'hello.c'),
    '#include <stdio.h>\nextern int greet(int);\nint main(void) { printf("%d\\n", greet(21)); return 0; }\n',
  );
  const exe = path.join(root, 'hello');
  execFileSync('gcc', ['-g', '-o', exe, path.join(work, 'hello.c'), lib]);
  await writeFile(path.join(root, 'script.sh'), '#!/bin/sh\n'); // not ELF: skipped
  const size = async (): Promise<number> =>
    (await stat(libR)).size + (await stat(lib)).size + (await stat(exe)).size;
  const before = await size();
  const libRSymbols = execFileSync('nm', ['-D', '--defined-only', libR], { encoding: 'utf8' });

  const result = await stripElfFiles(root, memoryLogger());

  expect(result.failed).toEqual([]);
  expect(result.filesChanged).toBe(2); // libgreet and hello; libR was already stripped
  expect(result.bytesSaved).toBe(before - (await size()));
  expect(result.bytesSaved).toBeGreaterThan(0);
  expect(execFileSync('readelf', ['-S', lib], { encoding: 'utf8' })).not.toContain('.debug_info');
  expect(execFileSync('readelf', ['-S', exe], { encoding: 'utf8' })).not.toContain('.symtab');
  expect(execFileSync('nm', ['-D', '--defined-only', lib], { encoding: 'utf8' })).toMatch(/ T greet$/m);
  expect(execFileSync(exe, { encoding: 'utf8' })).toBe('42\n');
  expect(execFileSync('readelf', ['-h', libR], { encoding: 'utf8' })).toMatch(/Type:\s+DYN/);
  expect(execFileSync('nm', ['-D', '--defined-only', libR], { encoding: 'utf8' })).toBe(libRSymbols);
}, 60_000);

test('a file strip cannot handle is reported and left as it was', async () => {
  const root = path.join(work, 'opt');
  await mkdir(path.join(root, 'lib'), { recursive: true });
  // ELF magic and a shared-object type, but no valid structure after the header.
  const bogus = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(bogus);
  bogus.writeUInt16LE(3, 16);
  await writeFile(path.join(root, 'lib/libbogus.so'), bogus);
  await copyFile('/usr/lib/x86_64-linux-gnu/libz.so.1', path.join(root, 'lib/libz.so.1'));
  const log = memoryLogger();
  const result = await stripElfFiles(root, log);
  expect(result.failed).toEqual([path.join(root, 'lib/libbogus.so')]);
  expect(
    await import('node:fs/promises').then((fs) => fs.readFile(path.join(root, 'lib/libbogus.so'))),
  ).toEqual(bogus);
  expect(log.lines.some((l) => l.startsWith('warning: strip could not handle'))).toBe(true);
}, 30_000);

test('a real package still loads with library() after every rule, strip included', async () => {
  const root = path.join(work, 'opt');
  const siteLib = path.join(root, 'local/lib/R/site-library');
  await mkdir(siteLib, { recursive: true });
  await cp('/usr/lib/R/site-library/jsonlite', path.join(siteLib, 'jsonlite'), { recursive: true });
  const sizeBefore = Number(execFileSync('du', ['-sb', siteLib], { encoding: 'utf8' }).split('\t')[0]);

  const report = await pruneTree(root, DEFAULT_PRUNE, memoryLogger());

  const pkg = await readdir(path.join(siteLib, 'jsonlite'));
  expect(pkg).not.toContain('html');
  expect(pkg).not.toContain('doc');
  expect(pkg).toContain('help');
  expect(await readdir(path.join(siteLib, 'jsonlite/help'))).not.toContain('jsonlite.rdb');
  expect(report.rules.find((r) => r.id === 'strip')?.filesChanged).toBeGreaterThanOrEqual(0);
  const sizeAfter = Number(execFileSync('du', ['-sb', siteLib], { encoding: 'utf8' }).split('\t')[0]);
  expect(sizeAfter).toBeLessThan(sizeBefore);

  const out = execFileSync(
    'Rscript',
    [
      '--vanilla',
      '-e',
      `library(jsonlite, lib.loc = ${JSON.stringify(siteLib)}); cat(find.package("jsonlite"), as.character(toJSON(list(a = 1:3))), sep = "\\n")`,
    ],
    { encoding: 'utf8' },
  );
  expect(out).toBe(`${path.join(siteLib, 'jsonlite')}\n{"a":[1,2,3]}\n`);
}, 60_000);

it('every prune switch turns at least one rule on, and becomes an option with a --no- flag', async () => {
  const { PRUNE_SWITCHES } = await import('../../../src/pipeline/plan/prune-options.js');
  const { OPTIONS } = await import('../../../src/options/declarations.js');
  for (const [name, { input }] of Object.entries(PRUNE_SWITCHES)) {
    expect([name, PRUNE_RULES.some((rule) => rule.option === name)]).toEqual([name, true]);
    expect(OPTIONS[input].flags[0].spec).toBe(`--no-${input}`);
  }
});
