import {
  orderCandidates,
  parseShowsrc,
  upstreamVersion,
  type DebianSource,
} from '../../../src/mirror/debian-sources.js';

/** `apt-cache showsrc` paragraphs in apt's own layout (fields trimmed to those the parser reads, plus noise). */
const paragraph = (pkg: string, version: string, orig: string, sum: string): string =>
  [
    `Package: ${pkg}`,
    'Binary: libfoo1, foo-dev',
    `Version: ${version}`,
    'Format: 3.0 (quilt)',
    'Files:',
    ` 0123456789abcdef0123456789abcdef 1234 ${pkg}_${version}.dsc`,
    'Checksums-Sha256:',
    ` ${'d'.repeat(64)} 2848 ${pkg}_${version}.dsc`,
    ` ${sum} 4298225 ${orig}`,
    ` ${'e'.repeat(64)} 106952 ${pkg}_${version}.debian.tar.xz`,
    'Directory: pool/main/x/xyz',
  ].join('\n');

const src = (version: string, sum = 'a'.repeat(64), pkg = 'openssl'): DebianSource => ({
  package: pkg,
  version,
  upstreamVersion: upstreamVersion(version),
  origFile: `${pkg}_${upstreamVersion(version)}.orig.tar.gz`,
  origSha256: sum,
});

describe('upstreamVersion', () => {
  it.each([
    ['3.5.7-1~deb13u2', '3.5.7'],
    ['1:1.2.13.dfsg-1+deb12u1', '1.2.13'],
    ['1:1.3.dfsg+really1.3.2-4', '1.3.2'],
    ['2.12.7+dfsg+really2.9.14-2.4', '2.9.14'],
    ['2.15.4+dfsg-1', '2.15.4'],
    ['4.2.2.20221110-2', '4.2.2'],
    ['4.6.1-11', '4.6.1'],
    ['8.23.0~rc3-1', '8.23.0'],
    ['10.48-3.1', '10.48'],
    ['1.0.8', '1.0.8'],
  ])('%s packs upstream %s', (debian, upstream) => {
    expect(upstreamVersion(debian)).toBe(upstream);
  });
});

describe('parseShowsrc', () => {
  it('reads each version with its orig file and the sum the index gives for it, once per version', () => {
    const text = [
      paragraph('curl', '8.21.0-2', 'curl_8.21.0.orig.tar.gz', 'D9B32799' + '0'.repeat(56)),
      paragraph('curl', '8.21.0-2', 'curl_8.21.0.orig.tar.gz', 'd9b32799' + '0'.repeat(56)),
      paragraph('curl', '7.88.1-10+deb12u5', 'curl_7.88.1.orig.tar.gz', 'c'.repeat(64)),
    ].join('\n\n');
    expect(parseShowsrc(text)).toEqual([
      {
        package: 'curl',
        version: '8.21.0-2',
        upstreamVersion: '8.21.0',
        origFile: 'curl_8.21.0.orig.tar.gz',
        origSha256: 'd9b32799' + '0'.repeat(56),
      },
      {
        package: 'curl',
        version: '7.88.1-10+deb12u5',
        upstreamVersion: '7.88.1',
        origFile: 'curl_7.88.1.orig.tar.gz',
        origSha256: 'c'.repeat(64),
      },
    ]);
  });

  it('skips a version without an orig tarball (a native package) and empty output', () => {
    const native = paragraph('foo', '1.0', 'foo_1.0.tar.xz', 'a'.repeat(64));
    expect(parseShowsrc(native)).toEqual([]);
    expect(parseShowsrc('')).toEqual([]);
  });
});

describe('orderCandidates (the version fallback)', () => {
  const pinned = 'f'.repeat(64);

  it('tries the pinned upstream file first, then repacks of the pinned release, then its release line, newest first', () => {
    const sources = [
      src('3.0.17-1~deb12u2'),
      src('3.6.5-1'),
      src('3.5.9-1~deb13u1'),
      src('3.5.7-1~deb13u1', 'b'.repeat(64)),
      src('3.5.7-1~deb13u2', pinned),
      src('3.6.3-1'),
    ];
    const order = orderCandidates(sources, { version: '3.5.7', sha256: pinned });
    expect(order.map((c) => `${c.version}:${c.match}`)).toEqual([
      '3.5.7-1~deb13u2:identical',
      '3.5.7-1~deb13u1:repack',
      '3.5.9-1~deb13u1:other',
      '3.6.5-1:other',
      '3.6.3-1:other',
      '3.0.17-1~deb12u2:other',
    ]);
  });

  it('puts a later Debian revision of the same release first, so a 404 on it falls back to the earlier one', () => {
    const sources = [src('1:1.2.13.dfsg-1'), src('1:1.2.13.dfsg-1+deb12u1')];
    expect(orderCandidates(sources, { version: '1.2.13' }).map((c) => c.version)).toEqual([
      '1:1.2.13.dfsg-1+deb12u1',
      '1:1.2.13.dfsg-1',
    ]);
  });

  it('with nothing pinned (R), newest release first', () => {
    const sources = [src('4.2.2.20221110-2'), src('4.6.1-11'), src('4.6.2-1'), src('4.5.0-3')];
    expect(orderCandidates(sources, {}).map((c) => c.upstreamVersion)).toEqual([
      '4.6.2',
      '4.6.1',
      '4.5.0',
      '4.2.2',
    ]);
    expect(orderCandidates(sources, {}).every((c) => c.match === 'other')).toBe(true);
  });

  it('matches the pinned file by its sum, whatever Debian calls it', () => {
    const [first] = orderCandidates(
      [src('8.21.0-2', pinned, 'curl'), src('8.23.0-1', 'c'.repeat(64), 'curl')],
      {
        version: '8.20.0',
        sha256: pinned,
      },
    );
    expect(first?.match).toBe('identical');
  });
});
