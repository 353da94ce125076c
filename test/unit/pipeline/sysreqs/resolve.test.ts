/**
 * The resolver as data: real packages' SystemRequirements texts (as their DESCRIPTION files write them) against the
 * shipped rules, for Amazon Linux 2023, Debian 12 and Ubuntu 24.04.
 */
import { loadRecipe, providedByStages } from '../../../../src/pipeline/plan/recipe.js';
import {
  clauses,
  describeResolution,
  resolveRequirements,
  toolchainPackages,
  type PackageRequirement,
  type Resolution,
} from '../../../../src/pipeline/sysreqs/resolve.js';
import {
  loadRules,
  platformOf,
  preInstallKind,
  type Platform,
} from '../../../../src/pipeline/sysreqs/rules.js';

const rules = loadRules();
const providedBy = providedByStages(loadRecipe().stages);

const AL2023 = platformOf({ osId: 'amzn', osVersion: '2023' }) as Platform;
const DEBIAN12 = platformOf({ osId: 'debian', osVersion: '12' }) as Platform;
const UBUNTU2404 = platformOf({ osId: 'ubuntu', osVersion: '24.04' }) as Platform;

/** SystemRequirements fields as the packages' own DESCRIPTION files have them (png 0.1-8, sodium 1.4.0, fftw 1.0-9 from
 * Debian's r-cran-* sources; the others from CRAN). */
const TEXTS: Record<string, string> = {
  png: 'libpng',
  sodium: 'libsodium (>= 1.0.3)',
  fftw: 'fftw3 (>= 3.1.2)',
  xml2: 'libxml2: libxml2-dev (deb), libxml2-devel (rpm)',
  curl: 'libcurl (>= 7.62): libcurl-devel (rpm) or libcurl4-openssl-dev (deb)',
  openssl: 'OpenSSL >= 1.0.2 (openssl@1.1 on MacOS)',
  sf: 'GDAL (>= 2.0.1), GEOS (>= 3.4.0), PROJ (>= 4.8.0), sqlite3',
  RcppParallel: 'GNU make, Intel TBB, C++17',
  gsl: 'GNU GSL',
};
const req = (name: string): PackageRequirement => ({
  package: name,
  version: '1.0',
  text: TEXTS[name] ?? '',
});

const resolve = (platform: Platform, names: string[], explicit: string[] = []): Resolution =>
  resolveRequirements({
    requirements: names.map(req),
    rules,
    platform,
    providedBy,
    toolchain: toolchainPackages(platform.manager),
    explicit,
  });
const osNames = (r: Resolution): string[] => r.osPackages.map((p) => p.name);

describe('platforms', () => {
  it('reads Amazon Linux 2023 as Red Hat 9 then Fedora, without EPEL', () => {
    expect(AL2023).toMatchObject({
      manager: 'dnf',
      noEpel: true,
      lookups: [{ distribution: 'redhat', version: '9' }, { distribution: 'fedora' }],
    });
    expect(DEBIAN12).toMatchObject({
      manager: 'apt-get',
      lookups: [{ distribution: 'debian', version: '12' }],
    });
    expect(UBUNTU2404.lookups).toEqual([{ distribution: 'ubuntu', version: '24.04' }]);
    expect(platformOf({ osId: 'alpine', osVersion: '3.20' })).toBeUndefined();
    expect(platformOf({ osId: 'amzn', osVersion: '2' })).toBeUndefined();
  });

  it('sorts pre-install commands into EPEL, CRB and the rest', () => {
    expect(
      preInstallKind('dnf install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm'),
    ).toBe('epel');
    expect(
      preInstallKind('subscription-manager repos --enable codeready-builder-for-rhel-9-$(arch)-rpms'),
    ).toBe('crb');
    expect(preInstallKind('dnf config-manager --set-enabled crb')).toBe('crb');
    expect(preInstallKind('add-apt-repository -y ppa:ubuntugis/ppa')).toBe('ppa');
    expect(preInstallKind('R CMD javareconf')).toBe('other');
  });
});

describe('resolving SystemRequirements', () => {
  it('maps png, sodium and fftw to the -dev packages of Debian 12 and Ubuntu 24.04', () => {
    for (const platform of [DEBIAN12, UBUNTU2404]) {
      const r = resolve(platform, ['png', 'sodium', 'fftw']);
      expect(osNames(r)).toEqual(['libfftw3-dev', 'libpng-dev', 'libsodium-dev']);
      expect(r.unavailable).toEqual([]);
      expect(r.osPackages.find((p) => p.name === 'libpng-dev')).toEqual({
        name: 'libpng-dev',
        for: ['png'],
        rules: ['libpng'],
      });
    }
  });

  it('on Amazon Linux 2023: png and fftw from its repositories, sodium not available (EPEL only)', () => {
    const r = resolve(AL2023, ['png', 'sodium', 'fftw']);
    expect(osNames(r)).toEqual(['fftw-devel', 'libpng-devel']);
    expect(r.unavailable).toEqual([
      {
        package: 'sodium',
        text: 'libsodium (>= 1.0.3)',
        rule: 'libsodium',
        packages: ['libsodium-devel'],
        reason: 'on redhat it needs EPEL, which amzn 2023 does not have',
      },
    ]);
  });

  it('meets openssl, libcurl and libxml2 with the recipe stages, never with OS packages', () => {
    for (const platform of [AL2023, DEBIAN12, UBUNTU2404]) {
      const r = resolve(platform, ['xml2', 'curl', 'openssl']);
      expect(r.osPackages).toEqual([]);
      expect(r.packages.map((p) => p.rules)).toEqual([
        [{ rule: 'libxml2', via: 'stage', stage: 'libxml2' }],
        // "libcurl4-openssl-dev (deb)" in curl's text matches the openssl rule too, as in pak: both are stages.
        [
          { rule: 'libcurl', via: 'stage', stage: 'curl' },
          { rule: 'openssl', via: 'stage', stage: 'openssl' },
        ],
        [{ rule: 'openssl', via: 'stage', stage: 'openssl' }],
      ]);
      expect(r.packages.flatMap((p) => p.unmatched)).toEqual([]);
    }
  });

  it('a user stage that provides a rule meets it too (libsodium built as an extra stage)', () => {
    const r = resolveRequirements({
      requirements: [req('sodium')],
      rules,
      platform: AL2023,
      providedBy: { ...providedBy, libsodium: 'libsodium' },
      toolchain: toolchainPackages('dnf'),
    });
    expect(r.unavailable).toEqual([]);
    expect(r.packages[0]?.rules).toEqual([{ rule: 'libsodium', via: 'stage', stage: 'libsodium' }]);
  });

  it('the geospatial stack: apt names on Debian; on Amazon Linux GDAL needs EPEL, GEOS and PROJ are CRB on Red Hat', () => {
    expect(osNames(resolve(DEBIAN12, ['sf']))).toEqual([
      'gdal-bin',
      'libgdal-dev',
      'libgeos-dev',
      'libproj-dev',
      'libsqlite3-dev',
    ]);
    const r = resolve(AL2023, ['sf']);
    expect(r.unavailable.map((u) => u.rule)).toEqual(['gdal']);
    const geos = r.packages[0]?.rules.find((o) => o.rule === 'geos');
    expect(geos).toMatchObject({ via: 'os', packages: ['geos-devel'] });
    expect(geos && 'note' in geos ? geos.note : '').toMatch(/no CRB repository/);
  });

  it('lists text no rule matches, and needs nothing for what the toolchain has', () => {
    const r = resolve(DEBIAN12, ['RcppParallel']);
    const pkg = r.packages[0];
    expect(pkg?.rules).toEqual([{ rule: 'gnumake', via: 'toolchain', packages: ['make'] }]);
    expect(pkg?.unmatched).toEqual(['Intel TBB', 'C++17']);
    expect(r.osPackages).toEqual([]);
    expect(describeResolution(r)).toEqual([
      'RcppParallel 1.0 "GNU make, Intel TBB, C++17": gnumake → toolchain (make); no rule for: "Intel TBB", "C++17"',
    ]);
  });

  it('adds the packages the user names, and skips packages without requirements', () => {
    const r = resolve(DEBIAN12, ['png', 'jsonlite'], ['libpng-dev', 'zip']);
    expect(r.osPackages).toEqual([
      { name: 'libpng-dev', for: ['(system-packages)', 'png'], rules: ['libpng'] },
      { name: 'zip', for: ['(system-packages)'], rules: [] },
    ]);
    expect(r.packages.map((p) => p.package)).toEqual(['png']);
  });
});

describe('clauses', () => {
  it('splits at top-level commas and semicolons only', () => {
    expect(clauses('fftw3 (libfftw3-dev (deb), or fftw-devel (rpm))')).toEqual([
      'fftw3 (libfftw3-dev (deb), or fftw-devel (rpm))',
    ]);
    expect(clauses('GDAL (>= 2.0.1), GEOS;\n  PROJ and')).toEqual(['GDAL (>= 2.0.1)', 'GEOS', 'PROJ and']);
    expect(clauses(' , or C++11 ')).toEqual(['C++11']);
  });
});
