import { readFileSync } from 'node:fs';
import { ALLOWLIST_FILE_NAME, parseAllowlist } from '../../../src/pipeline/tree/closure.js';
import { PRUNE_RULES } from '../../../src/pipeline/tree/prune.js';
import { dataFile } from '../../../src/paths.js';
import { globToRegExp } from '../../../src/util/glob.js';

test('* stays in one segment, ** spans segments, ? is one character, the rest is literal', () => {
  expect(globToRegExp('**/*.a').test('lib/libssl.a')).toBe(true);
  expect(globToRegExp('**/*.a').test('libssl.a')).toBe(true);
  expect(globToRegExp('**/*.a').test('lib/libssl.a/x')).toBe(false);
  expect(globToRegExp('R/lib/R/library/*/html').test('R/lib/R/library/stats/html')).toBe(true);
  expect(globToRegExp('R/lib/R/library/*/html').test('R/lib/R/library/stats/sub/html')).toBe(false);
  expect(globToRegExp('share/**').test('share/a/b')).toBe(true);
  expect(globToRegExp('lib?.so').test('libz.so')).toBe(true);
  expect(globToRegExp('lib?.so').test('lib/.so')).toBe(false);
  expect(globToRegExp('a.b').test('axb')).toBe(false);
  expect(globToRegExp('a+(b)').test('a+(b)')).toBe(true);
});

/** The allowlist's own glob before the two were merged: `*` any characters, `?` any one. */
const sonameGlob = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

test("the allowlist matches what it matched with its own glob: sonames have no '/'", () => {
  const allow = parseAllowlist(readFileSync(dataFile(ALLOWLIST_FILE_NAME), 'utf8'));
  const sonames = [
    ...allow.patterns,
    'libc.so.6',
    'libc.so.7',
    'libnss_dns.so.2',
    'libssl.so.3',
    'libgfortran.so.5',
    'ld-linux-x86-64.so.2',
    'linux-vdso.so.1',
  ];
  for (const pattern of [...allow.patterns, 'libnss_*.so.2', 'lib?.so', 'libstdc++*']) {
    expect(pattern).not.toContain('/');
    for (const soname of sonames) {
      expect([pattern, soname, globToRegExp(pattern).test(soname)]).toEqual([
        pattern,
        soname,
        sonameGlob(pattern).test(soname),
      ]);
    }
  }
});

test('every prune rule glob is a path glob: it never lets * cross a segment', () => {
  const globs = PRUNE_RULES.flatMap((r) =>
    'remove' in r.action ? [...r.action.remove.include, ...(r.action.remove.exclude ?? [])] : [],
  );
  expect(globs.length).toBeGreaterThan(10);
  for (const glob of globs.filter((g) => g.includes('/*/'))) {
    const deeper = glob.replace('/*/', '/a/b/').replace(/\*/g, 'x');
    expect([glob, globToRegExp(glob).test(deeper)]).toEqual([glob, false]);
  }
});
