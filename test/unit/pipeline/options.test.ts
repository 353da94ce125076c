import {
  parseBuildOptions,
  parseOverrides,
  parseRVersion,
  parseBoolean,
} from '../../../src/pipeline/options.js';
import { UserError } from '../../../src/errors.js';

const stages = ['zlib', 'openssl', 'curl', 'bzip2', 'xz', 'pcre2', 'libxml2', 'R'];

describe('build options', () => {
  it('fills the documented defaults', () => {
    const o = parseBuildOptions({}, stages, '/work');
    expect(o).toMatchObject({
      rVersion: 'release',
      packages: ['aws.s3'],
      cranRepo: 'https://cloud.r-project.org',
      prefix: '/opt',
      outDir: '/work/layers',
      installToolchain: true,
      overrides: {},
    });
    expect(Object.values(o.prune).every(Boolean)).toBe(true);
    expect(o.jobs).toBeGreaterThan(0);
  });

  it.each([['4.3'], ['4.x'], ['v4.4.1'], ['latest'], ['4.4.1.1']])(
    'rejects the R version %s, naming the input',
    (v) => {
      expect(() => parseRVersion(v)).toThrow(UserError);
      expect(() => parseRVersion(v)).toThrow(
        /r-version: .* use an exact version such as 4\.4\.1, or "release"/,
      );
    },
  );

  it('rejects R 3 with the reason', () => {
    expect(() => parseRVersion('3.6.3')).toThrow(/R 4\.0\.0 and later/);
  });

  it('reads packages as names, with an empty value meaning the default and "none" none', () => {
    expect(parseBuildOptions({ packages: 'none' }, stages, '/work').packages).toEqual([]);
    expect(parseBuildOptions({ packages: '' }, stages, '/work').packages).toEqual(['aws.s3']);
    const o = parseBuildOptions({ packages: 'xml2, jsonlite@1.8.4' }, stages, '/work');
    expect(o.packages).toEqual(['xml2', 'jsonlite']);
    expect(o.pins).toEqual([{ name: 'jsonlite', version: '1.8.4', repos: [] }]);
    expect(o.lockfile).toBeUndefined();
  });

  it('accepts strict booleans only', () => {
    expect(parseBoolean('cache', 'false', true)).toBe(false);
    expect(parseBoolean('cache', '', true)).toBe(true);
    expect(() => parseBoolean('prune-strip', 'yes', true)).toThrow(
      /prune-strip: "yes" is not a boolean; use true or false/,
    );
  });

  it('parses overrides: location, sum and version; comments and blank lines ignored', () => {
    const sum = 'ab'.repeat(32);
    const text = `# from the mirror\nopenssl=/m/openssl_3.0.15.orig.tar.gz,sha256=${sum.toUpperCase()},version=3.0.15\n\nR=https://example.org/R.tgz,sha256=${sum}\n`;
    expect(parseOverrides(text, stages)).toEqual({
      openssl: { location: '/m/openssl_3.0.15.orig.tar.gz', sha256: sum, version: '3.0.15' },
      R: { location: 'https://example.org/R.tgz', sha256: sum },
    });
  });

  it.each([
    ['nosuch=/x.tgz', /unknown stage "nosuch"; stages with sources are: zlib, openssl/],
    ['openssl', /is not an override; use NAME=PATH_OR_URL/],
    ['openssl=', /has no location/],
    ['openssl=/x.tgz,sha256=1234', /not a SHA-256 sum/],
    ['openssl=/x.tgz,colour=blue', /unknown setting "colour"/],
    [`openssl=/a.tgz,sha256=${'a'.repeat(64)}\nopenssl=/b.tgz,sha256=${'b'.repeat(64)}`, /overridden twice/],
    [
      'openssl=/srv/openssl.tgz,version=3.0.1',
      /source-overrides \(openssl\): give the tarball's SHA-256 .* sha256sum \/srv\/openssl\.tgz/,
    ],
  ])('rejects the override %j', (text, message) => {
    expect(() => parseOverrides(text, stages)).toThrow(message);
  });

  it('validates prefix, jobs, repository and sums, naming each input', () => {
    expect(() => parseBuildOptions({ prefix: 'opt' }, stages)).toThrow(
      /prefix: "opt" must be an absolute folder/,
    );
    expect(() => parseBuildOptions({ prefix: '/' }, stages)).toThrow(/prefix/);
    expect(() => parseBuildOptions({ jobs: '0' }, stages)).toThrow(/jobs: "0"/);
    expect(() => parseBuildOptions({ jobs: 'two' }, stages)).toThrow(/jobs/);
    expect(() => parseBuildOptions({ 'cran-repo': 'cran.r-project.org' }, stages)).toThrow(
      /cran-repo: .* use https:\/\/… or file:\/\/\//,
    );
    expect(() => parseBuildOptions({ 'r-sha256': 'xyz' }, stages)).toThrow(
      /r-sha256: "xyz" is not a SHA-256/,
    );
    expect(() => parseBuildOptions({ 'prune-help': 'maybe' }, stages)).toThrow(/prune-help/);
    expect(() => parseBuildOptions({ 'work-dir': '/tmp/my work' }, stages)).toThrow(
      /work-dir: "\/tmp\/my work" may hold only letters/,
    );
    expect(() => parseBuildOptions({ prefix: '/opt/$(reboot)' }, stages)).toThrow(
      /prefix: .*\(no spaces or shell characters\)/,
    );
  });

  it('turns prune switches off one by one', () => {
    const o = parseBuildOptions({ 'prune-strip': 'false', 'prune-help': 'false' }, stages);
    expect(o.prune.strip).toBe(false);
    expect(o.prune.help).toBe(false);
    expect(o.prune.translations).toBe(true);
  });
});
