import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exists, isInside, writeFileAtomic } from '../../../src/util/fs.js';

test('isInside: the folder itself and what lies below, never a sibling with a longer name', () => {
  expect(isInside('/opt', '/opt')).toBe(true);
  expect(isInside('/opt/lib/libz.so.1', '/opt')).toBe(true);
  expect(isInside('/opt/../etc/passwd', '/opt')).toBe(false);
  expect(isInside('/optx/lib', '/opt')).toBe(false);
  expect(isInside('/opt/..foo', '/opt')).toBe(true);
  expect(isInside('/usr/lib/libz.so.1', ['/work/tree', '/opt'])).toBe(false);
  expect(isInside('/opt/lib/libz.so.1', ['/work/tree', '/opt'])).toBe(true);
});

test('exists: true for a dangling symlink, false for nothing', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fs-'));
  try {
    await symlink('nowhere', path.join(dir, 'link'));
    expect(await exists(path.join(dir, 'link'))).toBe(true);
    expect(await exists(path.join(dir, 'none'))).toBe(false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic: the whole text in place, no temporary file left; a failed write leaves nothing', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'fs-atomic-'));
  try {
    await writeFileAtomic(path.join(dir, 'a.json'), 'one\n');
    await writeFileAtomic(path.join(dir, 'a.json'), 'two\n');
    expect(await readFile(path.join(dir, 'a.json'), 'utf8')).toBe('two\n');
    expect(await readdir(dir)).toEqual(['a.json']);
    await expect(writeFileAtomic(path.join(dir, 'missing', 'b.json'), 'x')).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual(['a.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
