import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exists, isInside } from '../../../src/util/fs.js';

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
