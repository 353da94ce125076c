import { mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256, sha256File, sha256Tree } from '../../../src/util/hash.js';

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

test('sha256 of text, bytes and a file agree', async () => {
  expect(sha256('abc')).toBe(ABC);
  expect(sha256(Buffer.from('abc'))).toBe(ABC);
  expect(sha256('abc', 'base64')).toBe(Buffer.from(ABC, 'hex').toString('base64'));
  const dir = await mkdtemp(path.join(tmpdir(), 'hash-'));
  try {
    await writeFile(path.join(dir, 'f'), 'abc');
    expect(await sha256File(path.join(dir, 'f'))).toBe(ABC);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sha256Tree changes with a file edit, a rename or a new file, and not with timestamps', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hash-tree-'));
  try {
    await mkdir(path.join(dir, 'src'));
    await writeFile(path.join(dir, 'DESCRIPTION'), 'Package: x\n');
    await writeFile(path.join(dir, 'src', 'a.c'), 'int a;\n');
    const first = await sha256Tree(dir);
    await utimes(path.join(dir, 'src', 'a.c'), new Date(0), new Date(0));
    expect(await sha256Tree(dir)).toBe(first);
    await writeFile(path.join(dir, 'src', 'a.c'), 'int b;\n');
    const edited = await sha256Tree(dir);
    expect(edited).not.toBe(first);
    await rename(path.join(dir, 'src', 'a.c'), path.join(dir, 'src', 'b.c'));
    const renamed = await sha256Tree(dir);
    expect(renamed).not.toBe(edited);
    await writeFile(path.join(dir, 'NEWS'), '');
    const added = await sha256Tree(dir);
    expect(added).not.toBe(renamed);
    // What `include` leaves out does not count.
    await writeFile(path.join(dir, 'src', 'b.o'), 'object');
    expect(await sha256Tree(dir, (f) => !f.endsWith('.o'))).toBe(added);
    expect(await sha256Tree(dir)).not.toBe(added);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
