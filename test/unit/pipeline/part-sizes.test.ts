import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatPartSizes, partSizes } from '../../../src/pipeline/output/part-sizes.js';
import type { HostLibraryRecord } from '../../../src/layers.js';

let tree: string;
beforeAll(async () => {
  tree = await mkdtemp(path.join(os.tmpdir(), 'part-sizes-'));
  await mkdir(path.join(tree, 'local/lib/R/site-library/png/libs'), { recursive: true });
  await mkdir(path.join(tree, 'local/lib/R/site-library/sodium'), { recursive: true });
  await mkdir(path.join(tree, 'lib'), { recursive: true });
  await writeFile(path.join(tree, 'local/lib/R/site-library/png/DESCRIPTION'), 'x'.repeat(100));
  await writeFile(path.join(tree, 'local/lib/R/site-library/png/libs/png.so'), 'x'.repeat(5000));
  await writeFile(path.join(tree, 'local/lib/R/site-library/sodium/DESCRIPTION'), 'x'.repeat(300));
  await writeFile(path.join(tree, 'lib/libpng16.so.16'), 'x'.repeat(2000));
});
afterAll(() => rm(tree, { recursive: true, force: true }));

const lib = {
  soname: 'libpng16.so.16',
  from: '/usr/lib/libpng16.so.16',
  sha256: '',
  package: 'libpng16-16',
} as HostLibraryRecord;

describe('sizes per package and per copied library', () => {
  it('measures each site-library package and copied library, largest first', async () => {
    expect(await partSizes(tree, [lib])).toEqual([
      { kind: 'package', name: 'png', bytes: 5100 },
      { kind: 'library', name: 'libpng16.so.16', from: 'libpng16-16', bytes: 2000 },
      { kind: 'package', name: 'sodium', bytes: 300 },
    ]);
  });

  it('prints one row per part, with the OS package a library came from', async () => {
    const text = formatPartSizes(await partSizes(tree, [lib]));
    expect(text.split('\n')).toHaveLength(4);
    expect(text).toMatch(/^r_lib {4}package png +5\.0 KB$/m);
    expect(text).toMatch(/^lib\/ {5}libpng16\.so\.16 \(libpng16-16\) +2\.0 KB$/m);
    expect(formatPartSizes([])).toBe('');
  });
});
