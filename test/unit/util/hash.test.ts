import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256, sha256File } from '../../../src/util/hash.js';

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
