import { execFileSync } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectEntries, partitionLayers, writeLayerZip } from '../../../src/pipeline/output/zip.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

let work: string;
let outside: string;
let root: string;

/**
 * A small prefix: an executable script, a symlink inside (relative and absolute), a symlink to a file outside,
 * an empty directory, and the build's marker file.
 */
async function makeTree(): Promise<void> {
  await mkdir(path.join(root, 'R/bin'), { recursive: true });
  await mkdir(path.join(root, 'lib'), { recursive: true });
  await mkdir(path.join(root, 'local/lib/R/site-library/pkg'), { recursive: true });
  await mkdir(path.join(root, 'share/empty'), { recursive: true });
  await writeFile(path.join(root, 'bootstrap'), '#!/bin/sh\necho hello from bootstrap\n');
  await chmod(path.join(root, 'bootstrap'), 0o755);
  await writeFile(path.join(root, 'R/bin/R'), '#!/bin/sh\necho R\n');
  await chmod(path.join(root, 'R/bin/R'), 0o755);
  await writeFile(path.join(root, 'lib/libfoo.so.1.2.3'), 'not really a library\n');
  await chmod(path.join(root, 'lib/libfoo.so.1.2.3'), 0o644);
  await symlink('libfoo.so.1.2.3', path.join(root, 'lib/libfoo.so.1'));
  await symlink(path.join(root, 'lib/libfoo.so.1.2.3'), path.join(root, 'lib/libfoo.so')); // absolute, inside
  await writeFile(path.join(outside, 'external.txt'), 'from outside the prefix\n');
  await symlink(path.join(outside, 'external.txt'), path.join(root, 'lib/external.txt'));
  await writeFile(path.join(root, 'local/lib/R/site-library/pkg/DESCRIPTION'), 'Package: pkg\n');
  await writeFile(path.join(root, '.r-lambda-layer'), '{}\n');
  await writeFile(path.join(root, '.r-lambda-layer.lock'), '');
}

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'zip-test-'));
  root = path.join(work, 'opt');
  outside = path.join(work, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await makeTree();
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

test('partitionLayers puts R in r, local in r_lib, the rest in subsystem, and skips the marker', async () => {
  expect(await partitionLayers(root)).toEqual({
    r: ['R'],
    r_lib: ['local'],
    subsystem: ['bootstrap', 'lib', 'share'],
  });
});

test('entries are sorted, directories included, links inside kept relative, links outside followed', async () => {
  const entries = await collectEntries(root, ['share', 'lib', 'bootstrap']);
  expect(entries.map((e) => e.name)).toEqual([
    'bootstrap',
    'lib/',
    'lib/external.txt',
    'lib/libfoo.so',
    'lib/libfoo.so.1',
    'lib/libfoo.so.1.2.3',
    'share/',
    'share/empty/',
  ]);
  expect(entries.find((e) => e.name === 'lib/libfoo.so')).toEqual({
    kind: 'link',
    name: 'lib/libfoo.so',
    target: 'libfoo.so.1.2.3',
  });
  expect(entries.find((e) => e.name === 'lib/libfoo.so.1')).toMatchObject({
    kind: 'link',
    target: 'libfoo.so.1.2.3',
  });
  expect(entries.find((e) => e.name === 'lib/external.txt')).toMatchObject({ kind: 'file' });
});

test('a zip unpacks with system unzip into a working tree: modes, symlinks, content, empty dirs', async () => {
  const zipFile = path.join(work, 'out', 'subsystem.zip');
  const summary = await writeLayerZip(root, ['bootstrap', 'lib', 'share'], zipFile);
  expect(summary.files).toBe(5); // bootstrap; under lib two files (one followed) and two links
  const dest = path.join(work, 'unpacked');
  execFileSync('unzip', ['-q', zipFile, '-d', dest]);

  expect((await stat(path.join(dest, 'bootstrap'))).mode & 0o777).toBe(0o755);
  expect(execFileSync(path.join(dest, 'bootstrap'), { encoding: 'utf8' })).toBe('hello from bootstrap\n');
  expect((await stat(path.join(dest, 'lib/libfoo.so.1.2.3'))).mode & 0o777).toBe(0o644);

  expect((await lstat(path.join(dest, 'lib/libfoo.so.1'))).isSymbolicLink()).toBe(true);
  expect(await readlink(path.join(dest, 'lib/libfoo.so.1'))).toBe('libfoo.so.1.2.3');
  // The absolute link was made relative, so it works in the unpacked copy, not only in the original prefix.
  expect(await readlink(path.join(dest, 'lib/libfoo.so'))).toBe('libfoo.so.1.2.3');
  expect(await readFile(path.join(dest, 'lib/libfoo.so'), 'utf8')).toBe('not really a library\n');

  // The link that left the prefix is a real file in the zip.
  expect((await lstat(path.join(dest, 'lib/external.txt'))).isFile()).toBe(true);
  expect(await readFile(path.join(dest, 'lib/external.txt'), 'utf8')).toBe('from outside the prefix\n');

  expect((await stat(path.join(dest, 'share/empty'))).isDirectory()).toBe(true);
  expect(await readdir(dest)).toEqual(['bootstrap', 'lib', 'share']);
});

test('files and unzipped bytes are counted (links by their text)', async () => {
  const summary = await writeLayerZip(root, ['lib'], path.join(work, 'lib.zip'));
  const fileBytes = 'not really a library\n'.length + 'from outside the prefix\n'.length;
  const linkBytes = 2 * 'libfoo.so.1.2.3'.length;
  expect(summary).toMatchObject({ files: 4, unzippedBytes: fileBytes + linkBytes });
  expect(summary.zippedBytes).toBe((await stat(path.join(work, 'lib.zip'))).size);
  expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
});

test('the same tree zips to the same bytes, whatever the files mtimes', async () => {
  const first = await writeLayerZip(root, ['R', 'bootstrap', 'lib'], path.join(work, 'a.zip'));
  // Touch every file: new mtimes must not change the zip.
  execFileSync('touch', [
    '-d',
    '2021-06-01 12:34:56',
    path.join(root, 'bootstrap'),
    path.join(root, 'R/bin/R'),
  ]);
  const second = await writeLayerZip(root, ['lib', 'bootstrap', 'R'], path.join(work, 'b.zip'));
  expect(second.sha256).toBe(first.sha256);
  expect(await readFile(path.join(work, 'b.zip'))).toEqual(await readFile(path.join(work, 'a.zip')));
});

test('a change of content changes the zip (the determinism check can fail)', async () => {
  const first = await writeLayerZip(root, ['R'], path.join(work, 'a.zip'));
  await writeFile(path.join(root, 'R/bin/R'), '#!/bin/sh\necho R changed\n');
  const second = await writeLayerZip(root, ['R'], path.join(work, 'b.zip'));
  expect(second.sha256).not.toBe(first.sha256);
});

test('the zip does not depend on the time zone of the process', async () => {
  const script = path.join(work, 'zip-once.mts'); // .mts: ESM with top-level await, outside any package.json
  const moduleUrl = new URL('../../../src/pipeline/output/zip.ts', import.meta.url).href;
  await writeFile(
    script,
    `import { writeLayerZip } from ${JSON.stringify(moduleUrl)};\n` +
      `const s = await writeLayerZip(process.argv[2], ['R', 'bootstrap', 'lib', 'share'], process.argv[3]);\n` +
      `console.log(s.sha256);\n`,
  );
  const tsx = path.join(repo, 'node_modules/.bin/tsx');
  const shaIn = (tz: string): string =>
    execFileSync(tsx, [script, root, path.join(work, `${tz.replace('/', '_')}.zip`)], {
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    }).trim();
  const utc = shaIn('UTC');
  expect(utc).toMatch(/^[0-9a-f]{64}$/);
  expect(shaIn('Pacific/Kiritimati')).toBe(utc); // UTC+14
  expect(shaIn('America/Los_Angeles')).toBe(utc);
  // And the entries carry the fixed 1980-01-01 00:00 timestamp.
  const listing = execFileSync('unzip', ['-Z', '-T', path.join(work, 'UTC.zip')], { encoding: 'utf8' });
  expect(listing).toMatch(/19800101\.000000 bootstrap/);
}, 60_000);

test('a failing zip leaves no partial file behind', async () => {
  // A FIFO is neither a file, a directory nor a symlink: collecting fails before anything is written.
  execFileSync('mkfifo', [path.join(root, 'lib/pipe')]);
  const outFile = path.join(work, 'out', 'bad.zip');
  await expect(writeLayerZip(root, ['lib'], outFile)).rejects.toThrow(/neither a file/);
  await mkdir(path.join(work, 'out'), { recursive: true });
  expect(await readdir(path.join(work, 'out'))).toEqual([]);
});

test('a failure after the zip was written (the rename) removes the temporary file', async () => {
  const outDir = path.join(work, 'out2');
  const outFile = path.join(outDir, 'lib.zip');
  // A non-empty directory where the zip should go: writing succeeds, the final rename fails.
  await mkdir(path.join(outFile, 'occupied'), { recursive: true });
  await expect(writeLayerZip(root, ['lib'], outFile)).rejects.toThrow();
  expect(await readdir(outDir)).toEqual(['lib.zip']);
  expect((await stat(outFile)).isDirectory()).toBe(true);
});

test('an absolute link into the installed prefix is kept, relative, when the tree is a staging copy', async () => {
  // The tree will live at /fake-opt at run time; a library's link was written with that absolute path.
  await symlink('/fake-opt/lib/libfoo.so.1.2.3', path.join(root, 'lib/libfoo-abs.so'));
  const entries = await collectEntries(root, ['lib'], { installedPrefix: '/fake-opt' });
  expect(entries.find((e) => e.name === 'lib/libfoo-abs.so')).toEqual({
    kind: 'link',
    name: 'lib/libfoo-abs.so',
    target: 'libfoo.so.1.2.3',
  });
  // Without knowing where the tree is installed, the link leaves the tree and points at nothing.
  await expect(collectEntries(root, ['lib'])).rejects.toThrow(/outside .* and does not exist/);
});
