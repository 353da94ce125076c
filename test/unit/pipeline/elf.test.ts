import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { batches, ELF_TYPE, elfType, findElfFiles, isElf } from '../../../src/pipeline/tree/elf.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'elf-test-'));
  await mkdir(path.join(root, 'lib/sub'), { recursive: true });
  await mkdir(path.join(root, 'bin'), { recursive: true });
  await copyFile('/usr/lib/x86_64-linux-gnu/libz.so.1', path.join(root, 'lib/libz.so.1'));
  await copyFile('/usr/bin/true', path.join(root, 'bin/true'));
  await writeFile(path.join(root, 'bin/script'), '#!/bin/sh\n');
  await writeFile(path.join(root, 'lib/sub/tiny'), '\x7fEL'); // too short to be ELF
  await symlink('libz.so.1', path.join(root, 'lib/libz.so'));
  await symlink('/usr/bin/true', path.join(root, 'bin/outside-true'));
  execFileSync('mkfifo', [path.join(root, 'lib/fifo')]);
  await writeFile(path.join(root, 'lib/obj.c'), 'int f(void) { return 0; }\n');
  execFileSync('gcc', ['-c', '-o', path.join(root, 'lib/sub/obj.o'), path.join(root, 'lib/obj.c')]);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('isElf reads the magic of files (through symlinks), never of directories or FIFOs', async () => {
  expect(await isElf(path.join(root, 'lib/libz.so.1'))).toBe(true);
  expect(await isElf(path.join(root, 'lib/libz.so'))).toBe(true);
  expect(await isElf(path.join(root, 'bin/script'))).toBe(false);
  expect(await isElf(path.join(root, 'lib/sub/tiny'))).toBe(false);
  expect(await isElf(path.join(root, 'lib'))).toBe(false);
  expect(await isElf(path.join(root, 'lib/fifo'))).toBe(false); // would hang if opened
  expect(await isElf(path.join(root, 'missing'))).toBe(false);
});

test('elfType tells shared objects, executables and relocatable objects apart', async () => {
  expect(await elfType(path.join(root, 'lib/libz.so.1'))).toBe(ELF_TYPE.shared);
  expect(await elfType(path.join(root, 'lib/sub/obj.o'))).toBe(ELF_TYPE.relocatable);
  expect(await elfType(path.join(root, 'bin/script'))).toBeNull();
  // Debian's executables are PIE: ET_DYN, like shared objects.
  expect([ELF_TYPE.executable, ELF_TYPE.shared]).toContain(await elfType(path.join(root, 'bin/true')));
});

test('findElfFiles lists regular ELF files, sorted, without following symlinks', async () => {
  expect(await findElfFiles(root)).toEqual([
    path.join(root, 'bin/true'),
    path.join(root, 'lib/libz.so.1'),
    path.join(root, 'lib/sub/obj.o'),
  ]);
});

test('batches keep order and respect both limits', () => {
  const items = Array.from({ length: 7 }, (_, i) => `/file${i}`);
  expect(batches(items, 3)).toEqual([items.slice(0, 3), items.slice(3, 6), items.slice(6)]);
  expect(batches(items, 100, 14).map((b) => b.length)).toEqual([2, 2, 2, 1]);
  expect(batches([], 3)).toEqual([]);
  expect(batches(['/a-very-long-path'], 3, 5)).toEqual([['/a-very-long-path']]); // one item always fits
});
