import {
  parseBuildOptions,
  parseOverrides,
  parseRVersion,
  PRUNE_INPUTS,
} from '../../../src/pipeline/plan/options.js';
import { DEFAULT_PRUNE } from '../../../src/pipeline/plan/prune-options.js';
import { OPTIONS } from '../../../src/options/declarations.js';
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
      recommendedPackages: true,
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
        /^r-version \(--r-version\): ".*" is not a valid R version; use an exact version such as 4\.4\.1, or "release"/,
      );
    },
  );

  it('rejects R 3 with the reason', () => {
    expect(() => parseRVersion('3.6.3')).toThrow(
      'r-version (--r-version): R 3.6.3 is not supported: this tool builds R 4.0.0 and later (it uses PCRE2); use R 4.0.0 or later, or "release" for CRAN\'s newest.',
    );
  });

  it('reads packages as names, with an empty value meaning the default and "none" none', () => {
    expect(parseBuildOptions({ packages: 'none' }, stages, '/work').packages).toEqual([]);
    expect(parseBuildOptions({ packages: '' }, stages, '/work').packages).toEqual(['aws.s3']);
    const o = parseBuildOptions({ packages: 'xml2, jsonlite@1.8.4' }, stages, '/work');
    expect(o.packages).toEqual(['xml2', 'jsonlite']);
    expect(o.pins).toEqual([{ name: 'jsonlite', version: '1.8.4', repos: [] }]);
    expect(o.lockfile).toBeUndefined();
  });

  it('accepts strict booleans only, naming the input and its flag', () => {
    expect(parseBuildOptions({ 'install-toolchain': 'FALSE' }, stages).installToolchain).toBe(false);
    expect(parseBuildOptions({ 'install-toolchain': '' }, stages).installToolchain).toBe(true);
    expect(parseBuildOptions({ 'recommended-packages': 'false' }, stages).recommendedPackages).toBe(false);
    expect(parseBuildOptions({ 'recommended-packages': 'true' }, stages).recommendedPackages).toBe(true);
    expect(() => parseBuildOptions({ 'recommended-packages': 'no' }, stages)).toThrow(
      'recommended-packages (--no-recommended-packages): "no" is not a boolean; use true or false.',
    );
    expect(() => parseBuildOptions({ 'prune-strip': 'yes' }, stages)).toThrow(
      'prune-strip (--no-prune-strip): "yes" is not a boolean; use true or false.',
    );
  });

  it('prunes by default as the prune engine does, one switch per PruneOptions field', () => {
    expect(parseBuildOptions({}, stages).prune).toEqual(DEFAULT_PRUNE);
    expect(Object.values(PRUNE_INPUTS).sort()).toEqual(Object.keys(DEFAULT_PRUNE).sort());
    for (const name of Object.keys(PRUNE_INPUTS)) expect(name in OPTIONS).toBe(true);
  });

  it('reads overrides given as a list (repeated --override) or as lines (the action input)', () => {
    const sum = 'cd'.repeat(32);
    const list = [`zlib=/m/zlib.tgz,sha256=${sum}`, `xz=/m/xz.tgz,sha256=${sum}`];
    const fromFlags = parseBuildOptions({ 'source-overrides': list }, stages).overrides;
    expect(parseBuildOptions({ 'source-overrides': list.join('\n') }, stages).overrides).toEqual(fromFlags);
    expect(Object.keys(fromFlags)).toEqual(['zlib', 'xz']);
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
    ['nosuch=/x.tgz', /unknown stage "nosuch"; use one of the stages with sources: zlib, openssl/],
    ['openssl', /^source-overrides \(--override\): "openssl" is not an override; use NAME=PATH_OR_URL/],
    ['openssl=', /has no location/],
    ['openssl=/x.tgz,sha256=1234', /not a SHA-256 sum/],
    ['openssl=/x.tgz,colour=blue', /unknown setting "colour"/],
    [`openssl=/a.tgz,sha256=${'a'.repeat(64)}\nopenssl=/b.tgz,sha256=${'b'.repeat(64)}`, /overridden twice/],
    [
      'openssl=/srv/openssl.tgz,version=3.0.1',
      /source-overrides \(--override\): openssl has no SHA-256 \(an override is only trusted with its sum\); use .* sha256sum \/srv\/openssl\.tgz\.$/,
    ],
  ])('rejects the override %j', (text, message) => {
    expect(() => parseOverrides(text, stages)).toThrow(message);
  });

  it('validates prefix, jobs, repository and sums, naming each input', () => {
    expect(() => parseBuildOptions({ prefix: 'opt' }, stages)).toThrow(
      /^prefix \(--prefix\): "opt" is not an absolute folder other than \/; use /,
    );
    expect(() => parseBuildOptions({ prefix: '/' }, stages)).toThrow(/prefix/);
    expect(() => parseBuildOptions({ jobs: '0' }, stages)).toThrow(
      'jobs (--jobs): "0" is not a number of parallel jobs; use a whole number from 1 to 256.',
    );
    expect(() => parseBuildOptions({ jobs: 'two' }, stages)).toThrow(/jobs/);
    expect(() => parseBuildOptions({ 'cran-repo': 'cran.r-project.org' }, stages)).toThrow(
      /^cran-repo \(--cran-repo\): .* use https:\/\/… or file:\/\/\//,
    );
    expect(() => parseBuildOptions({ 'r-sha256': 'xyz' }, stages)).toThrow(
      'r-sha256 (--r-sha256): "xyz" is not a SHA-256 sum; use 64 hexadecimal characters.',
    );
    expect(() => parseBuildOptions({ 'prune-help': 'maybe' }, stages)).toThrow(/prune-help/);
    expect(() => parseBuildOptions({ 'work-dir': '/tmp/my work' }, stages)).toThrow(
      /^work-dir \(--work-dir\): "\/tmp\/my work" has spaces or shell characters; use a path of letters/,
    );
    expect(() => parseBuildOptions({ prefix: '/opt/$(reboot)' }, stages)).toThrow(
      /^prefix \(--prefix\): .* has spaces or shell characters/,
    );
  });

  it('reads system packages as a list and the extra-stages file as an absolute path', () => {
    const o = parseBuildOptions(
      {
        'system-packages': 'libsodium-devel, fftw-devel\nlibpng-devel libsodium-devel',
        'extra-stages': 'ci/stages.yml',
      },
      stages,
      '/work',
    );
    expect(o.systemPackages).toEqual(['libsodium-devel', 'fftw-devel', 'libpng-devel']);
    expect(o.extraStagesFile).toBe('/work/ci/stages.yml');
    expect(parseBuildOptions({}, stages, '/work')).toMatchObject({
      systemPackages: [],
      extraStagesFile: undefined,
    });
    expect(() => parseBuildOptions({ 'system-packages': 'libpng-dev;rm' }, stages)).toThrow(
      /^system-packages \(--system-packages\): "libpng-dev;rm" is not a package name; use OS package names/,
    );
  });

  it('turns prune switches off one by one', () => {
    const o = parseBuildOptions({ 'prune-strip': 'false', 'prune-help': 'false' }, stages);
    expect(o.prune.strip).toBe(false);
    expect(o.prune.help).toBe(false);
    expect(o.prune.translations).toBe(true);
  });
});
