import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkLayerLimits,
  directorySizes,
  formatSizeTable,
  largestDirectories,
} from '../../../src/pipeline/output/sizes.js';
import { LAMBDA_LIMITS, type LayerRecord } from '../../../src/layers.js';

const MB = 1024 * 1024;
const layer = (name: LayerRecord['name'], zippedMB: number, unzippedMB: number, files = 10): LayerRecord => ({
  name,
  file: `${name}.zip`,
  sha256: '0'.repeat(64),
  zippedBytes: Math.round(zippedMB * MB),
  unzippedBytes: Math.round(unzippedMB * MB),
  files,
});

describe('checkLayerLimits', () => {
  test('layers under both limits are fine', () => {
    const result = checkLayerLimits([layer('r', 42, 120), layer('r_lib', 1, 3), layer('subsystem', 8, 30)]);
    expect(result).toEqual({ ok: true, problems: [] });
  });

  test('exactly 50 MB zipped is still allowed; one byte more is not', () => {
    const at = { ...layer('r', 0, 1), zippedBytes: LAMBDA_LIMITS.directUploadZippedBytes };
    expect(checkLayerLimits([at]).ok).toBe(true);
    expect(checkLayerLimits([{ ...at, zippedBytes: at.zippedBytes + 1 }]).ok).toBe(false);
  });

  test('a zip over 50 MB: names the layer, its size, the limit, S3 and what to prune', () => {
    const largest = [{ path: 'R/lib/R/library/stats', bytes: 9 * MB }];
    const result = checkLayerLimits([layer('r', 56, 150), layer('subsystem', 8, 30)], largest);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    const [message] = result.problems;
    expect(message).toContain('layer r (r.zip) is 56.0 MB zipped');
    expect(message).toContain('50.0 MB');
    expect(message).toContain('S3');
    expect(message).toContain('prune-help');
    expect(message).toContain('R/lib/R/library/stats (9.0 MB)');
  });

  test('all layers over 250 MB unzipped together', () => {
    const result = checkLayerLimits([layer('r', 40, 200), layer('r_lib', 5, 30), layer('subsystem', 10, 30)]);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/unzip to 260\.0 MB together, over Lambda's 250\.0 MB limit/);
  });
});

test('formatSizeTable shows each layer, a total and the share of the limits', () => {
  const table = formatSizeTable(
    [layer('r', 42, 120, 3000), layer('r_lib', 1, 3, 400), layer('subsystem', 8, 30, 1234)],
    LAMBDA_LIMITS,
  );
  const lines = table.split('\n');
  expect(lines[0]).toMatch(/^layer\s+zipped\s+unzipped\s+files\s+% of 50\.0 MB zipped$/);
  expect(lines).toHaveLength(7); // header, rule, 3 layers, rule, total
  expect(lines[2]).toMatch(/^r\s+42\.0 MB\s+120\.0 MB\s+3,000\s+84%$/);
  expect(lines[4]).toMatch(/^subsystem\s+8\.0 MB\s+30\.0 MB\s+1,234\s+16%$/);
  expect(lines[6]).toMatch(/^total\s+51\.0 MB\s+153\.0 MB\s+4,634\s+unzipped: 61% of 250\.0 MB$/);
  // Numbers are right-aligned: the zipped column ends at the same place on every row.
  const dataRows = [lines[2], lines[3], lines[4], lines[6]].map((l) => l ?? '');
  expect(new Set(dataRows.map((l) => l.indexOf(' MB'))).size).toBe(1);
  expect(lines[0]?.indexOf('zipped') ?? -1).toBe((lines[2] ?? '').indexOf(' MB') - 'zipped'.length + 3);
});

test('largestDirectories names the deepest directories, largest first', () => {
  const tree = [
    { path: 'R', bytes: 100 },
    { path: 'R/lib', bytes: 90 },
    { path: 'R/lib/a', bytes: 50 },
    { path: 'R/lib/b', bytes: 40 },
    { path: 'R/share', bytes: 10 },
    { path: 'lib', bytes: 60 },
  ];
  expect(largestDirectories(tree, 3)).toEqual([
    { path: 'lib', bytes: 60 },
    { path: 'R/lib/a', bytes: 50 },
    { path: 'R/lib/b', bytes: 40 },
  ]);
  expect(largestDirectories(tree, 0)).toEqual([]);
});

test('directorySizes adds every file below each directory, down to the depth asked', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'sizes-test-'));
  try {
    await mkdir(path.join(root, 'R/lib/R/library/stats'), { recursive: true });
    await mkdir(path.join(root, 'lib'), { recursive: true });
    await mkdir(path.join(root, 'empty'), { recursive: true });
    await writeFile(path.join(root, 'bootstrap'), Buffer.alloc(5));
    await writeFile(path.join(root, 'R/lib/R/library/stats/x'), Buffer.alloc(100));
    await writeFile(path.join(root, 'R/lib/y'), Buffer.alloc(20));
    await writeFile(path.join(root, 'lib/libz.so.1'), Buffer.alloc(7));
    await symlink('libz.so.1', path.join(root, 'lib/libz.so')); // counted by its own size (9), not followed
    expect(await directorySizes(root, 2)).toEqual([
      { path: 'R', bytes: 120 },
      { path: 'R/lib', bytes: 120 },
      { path: 'empty', bytes: 0 },
      { path: 'lib', bytes: 16 },
    ]);
    expect((await directorySizes(root, 5)).find((d) => d.path === 'R/lib/R/library/stats')).toEqual({
      path: 'R/lib/R/library/stats',
      bytes: 100,
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
