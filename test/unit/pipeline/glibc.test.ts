import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import {
  compareVersions,
  highestGlibc,
  lambdaGlibcVerdict,
  parseGlibcRequirements,
  scanGlibcRequirement,
  splitReadelfByFile,
} from '../../../src/pipeline/tree/glibc.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('parseGlibcRequirements', () => {
  test('reads the version-needs section of a saved readelf output', async () => {
    const text = await readFile(path.join(fixtures, 'readelf-libstdc++.txt'), 'utf8');
    const versions = parseGlibcRequirements(text);
    expect(versions).toContain('2.36');
    expect(versions).toContain('2.3.2');
    expect(versions).not.toContain('PRIVATE');
    expect(highestGlibc(versions)).toBe('2.36');
    // Sorted oldest first, no duplicates (GLIBC_2.3 appears twice in the file).
    expect(versions[0]).toBe('2.2.5');
    expect(new Set(versions).size).toBe(versions.length);
  });

  test('ignores version definitions: libc defines 2.36 but needs only up to 2.35', async () => {
    const text = await readFile(path.join(fixtures, 'readelf-libc.txt'), 'utf8');
    expect(text).toMatch(/Name: GLIBC_2\.36/); // the definition is there…
    expect(parseGlibcRequirements(text)).toEqual(['2.2.5', '2.3', '2.35']); // …and not reported
  });

  test('works on the live readelf output of a real binary', () => {
    const out = execFileSync('readelf', ['--version-info', '--wide', '/usr/bin/ls'], { encoding: 'utf8' });
    const versions = parseGlibcRequirements(out);
    expect(versions.length).toBeGreaterThan(3);
    for (const v of versions) expect(v).toMatch(/^\d+\.\d+(\.\d+)?$/);
    expect(versions).toContain('2.2.5');
    // Debian 12's ls needs GLIBC_2.34 (__libc_start_main moved in 2.34).
    expect(highestGlibc(versions)).toBe('2.34');
  });

  test('an output without a needs section gives nothing', () => {
    expect(
      parseGlibcRequirements(
        "\nVersion symbols section '.gnu.version' contains 2 entries:\n  000:   2 (GLIBC_2.38)\n",
      ),
    ).toEqual([]);
  });
});

test('compareVersions compares numerically, part by part', () => {
  expect(compareVersions('2.3.4', '2.17')).toBe(-1);
  expect(compareVersions('2.34', '2.4')).toBe(1);
  expect(compareVersions('2.34', '2.34.0')).toBe(0);
  expect(compareVersions('2.2.5', '2.2')).toBe(1);
  expect(['2.34', '2.2.5', '2.17', '2.3.4', '2.3'].sort(compareVersions)).toEqual([
    '2.2.5',
    '2.3',
    '2.3.4',
    '2.17',
    '2.34',
  ]);
  expect(highestGlibc([])).toBeNull();
  expect(highestGlibc(['2.9', '2.10'])).toBe('2.10');
});

test('splitReadelfByFile splits a batch by its File: headers and ignores the File: of needs entries', () => {
  const out = [
    '',
    'File: /a',
    '',
    "Version needs section '.gnu.version_r' contains 1 entry:",
    '  000000: Version: 1  File: libc.so.6  Cnt: 1',
    '  0x0010:   Name: GLIBC_2.17  Flags: none  Version: 2',
    '',
    'File: /b',
    '',
    "Version needs section '.gnu.version_r' contains 1 entry:",
    '  000000: Version: 1  File: libc.so.6  Cnt: 1',
    '  0x0010:   Name: GLIBC_2.38  Flags: none  Version: 2',
  ].join('\n');
  const parts = splitReadelfByFile(out, ['/a', '/b']);
  expect([...parts.keys()]).toEqual(['/a', '/b']);
  expect(parseGlibcRequirements(parts.get('/a') ?? '')).toEqual(['2.17']);
  expect(parseGlibcRequirements(parts.get('/b') ?? '')).toEqual(['2.38']);
});

describe('scanGlibcRequirement', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'glibc-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('scans many files in one batch and names the file needing the highest version', async () => {
    const ls = path.join(dir, 'ls');
    const stdcxx = path.join(dir, 'libstdc++.so.6');
    const noVersions = path.join(dir, 'plain.so');
    await copyFile('/usr/bin/ls', ls);
    await copyFile('/usr/lib/x86_64-linux-gnu/libstdc++.so.6', stdcxx);
    // A shared object with no glibc symbol versions at all.
    await writeFile(path.join(dir, 'plain.c'), 'int plain(int x) { return x + 1; }\n');
    execFileSync('gcc', ['-shared', '-nostdlib', '-fPIC', '-o', noVersions, path.join(dir, 'plain.c')]);

    const scan = await scanGlibcRequirement([stdcxx, ls, noVersions]);
    expect(scan.byFile).toEqual({ [ls]: '2.34', [stdcxx]: '2.36' });
    expect(scan.highest).toBe('2.36');

    const verdict = lambdaGlibcVerdict(scan);
    expect(verdict.compatible).toBe(false);
    expect(verdict.message).toContain('will not load on Lambda');
    expect(verdict.message).toContain('2.36');
    expect(verdict.message).toContain(stdcxx);
    expect(verdict.message).toContain('amazonlinux:2023');
  }, 30_000);

  test('no files, no requirement', async () => {
    expect(await scanGlibcRequirement([])).toEqual({ highest: null, byFile: {} });
  });
});

describe('lambdaGlibcVerdict', () => {
  test('2.34 and older load on provided.al2023', () => {
    expect(lambdaGlibcVerdict('2.34').compatible).toBe(true);
    expect(lambdaGlibcVerdict('2.17').compatible).toBe(true);
    expect(lambdaGlibcVerdict('2.3.4').compatible).toBe(true);
    expect(lambdaGlibcVerdict(null).compatible).toBe(true);
  });
  test('newer than 2.34 does not, and the message says what to do', () => {
    const v = lambdaGlibcVerdict('2.35', '/opt/lib/libfoo.so');
    expect(v.compatible).toBe(false);
    expect(v.message).toMatch(
      /will not load on Lambda.*2\.35.*\/opt\/lib\/libfoo\.so.*2\.34.*amazonlinux:2023/,
    );
  });
});
