import { cycloneDxErrors } from '../../support/cyclonedx.js';
import { buildSbom, sbomText } from '../../../src/pipeline/sbom.js';
import { loadRecipe } from '../../../src/pipeline/recipe.js';
import type { Manifest } from '../../../src/layers.js';

const recipe = loadRecipe();
const licenses = Object.fromEntries(
  recipe.stages.map((s) => [s.name, s.kind === 'source' ? s.license : undefined]),
);
const sum = (c: string): string => c.repeat(64);

const manifest: Manifest = {
  schemaVersion: 1,
  tool: { name: 'r-lambda-layer', version: '1.0.0' },
  rVersion: '4.6.1',
  architecture: 'x86_64',
  compatibleRuntimes: ['provided.al2023'],
  prefix: '/opt',
  stages: [
    {
      name: 'openssl',
      version: '3.5.7',
      url: 'https://github.com/openssl/openssl/releases/download/openssl-3.5.7/openssl-3.5.7.tar.gz',
      sha256: sum('1'),
      sha256Source: 'pinned',
      flags: ['shared', 'no-tests'],
      cacheKey: 'k',
    },
    {
      name: 'R',
      version: '4.6.1',
      url: 'https://cloud.r-project.org/src/base/R-4/R-4.6.1.tar.gz',
      sha256: sum('2'),
      sha256Source: 'r-sha256',
      flags: [],
      cacheKey: 'k2',
    },
  ],
  rPackages: [
    { name: 'stats', version: '4.6.1', library: 'R', license: 'Part of R 4.6.1', priority: 'base' },
    {
      name: 'Matrix',
      version: '1.7-4',
      library: 'R',
      license: 'GPL (>= 2) | file LICENCE',
      priority: 'recommended',
    },
    {
      name: 'jsonlite',
      version: '1.9.1',
      library: 'R',
      license: 'MIT + file LICENSE',
      url: 'file:///m/cran/src/contrib/jsonlite_1.9.1.tar.gz',
      sha256: sum('3'),
    },
    {
      name: 'lambdaruntime',
      version: '1.0.0',
      library: 'R',
      license: 'MIT + file LICENSE',
      ownPackage: true,
    },
    {
      name: 'R6',
      version: '2.5.1',
      library: 'site',
      license: 'MIT + file LICENSE',
      url: 'https://cran.r-project.org/src/contrib/Archive/R6/R6_2.5.1.tar.gz',
      sha256: sum('4'),
    },
  ],
  lockfile: { sha256: sum('5'), rVersion: '4.6.1' },
  hostLibraries: [
    {
      soname: 'libgfortran.so.5',
      from: '/lib/x86_64-linux-gnu/libgfortran.so.5',
      sha256: sum('6'),
      package: 'libgfortran5',
      packageVersion: '12.2.0-14+deb12u1',
      packageArch: 'amd64',
      packageType: 'deb',
    },
    {
      soname: 'libodd.so.1',
      from: '/usr/local/lib/libodd.so.1',
      sha256: sum('7'),
      package: null,
      packageVersion: null,
      packageArch: null,
      packageType: null,
    },
  ],
  layers: [
    { name: 'r', file: 'r.zip', sha256: sum('a'), zippedBytes: 1, unzippedBytes: 2, files: 3 },
    { name: 'r_lib', file: 'r_lib.zip', sha256: sum('b'), zippedBytes: 1, unzippedBytes: 2, files: 3 },
    {
      name: 'subsystem',
      file: 'subsystem.zip',
      sha256: sum('c'),
      zippedBytes: 1,
      unzippedBytes: 2,
      files: 3,
    },
  ],
  host: { osId: 'debian', osVersion: '12', arch: 'x86_64', glibc: '2.36' },
  glibcRequired: '2.34',
  lambdaCompatible: true,
  warnings: [],
};

describe('SBOM (CycloneDX 1.6)', () => {
  const bom = buildSbom(manifest, licenses);
  const byRef = new Map(bom.components.map((c) => [c['bom-ref'], c]));

  it('validates against the official CycloneDX 1.6 JSON schema', () => {
    expect(cycloneDxErrors(bom)).toEqual([]);
  });

  it('the validator does reject a broken document (it is not a test that cannot fail)', () => {
    const broken = JSON.parse(sbomText(bom)) as { components: { hashes?: { alg: string }[] }[] };
    broken.components[0]!.hashes![0]!.alg = 'SHA-999';
    expect(cycloneDxErrors(broken).join('\n')).toMatch(/alg/);
    expect(cycloneDxErrors({ ...bom, specVersion: 1.6 }).length).toBeGreaterThan(0);
  });

  it('names each native stage with version, source URL and sum, and the license from data/stages.yml', () => {
    expect(byRef.get('stage:openssl')).toMatchObject({
      name: 'openssl',
      version: '3.5.7',
      licenses: [{ expression: 'Apache-2.0' }],
      externalReferences: [
        {
          type: 'source-distribution',
          url: manifest.stages[0]!.url,
          hashes: [{ alg: 'SHA-256', content: sum('1') }],
        },
      ],
    });
    expect(byRef.get('stage:openssl')?.purl).toBe(
      `pkg:generic/openssl@3.5.7?download_url=https%3A//github.com/openssl/openssl/releases/download/openssl-3.5.7/openssl-3.5.7.tar.gz&checksum=sha256:${sum('1')}`,
    );
    expect(byRef.get('stage:R')).toMatchObject({
      type: 'application',
      licenses: [{ expression: 'GPL-2.0-only OR GPL-3.0-only' }],
    });
  });

  it('names each R package with version, DESCRIPTION license, tarball and sum; base packages as part of R', () => {
    expect(byRef.get('r-package:site:R6')).toMatchObject({
      version: '2.5.1',
      purl: 'pkg:cran/R6@2.5.1',
      licenses: [{ license: { name: 'MIT + file LICENSE' } }],
      externalReferences: [
        {
          url: manifest.rPackages.find((p) => p.name === 'R6')!.url,
          hashes: [{ alg: 'SHA-256', content: sum('4') }],
        },
      ],
    });
    expect(byRef.get('r-package:R:stats')).toMatchObject({ description: 'Base package of R 4.6.1' });
    expect(byRef.get('r-package:R:stats')?.purl).toBeUndefined();
    expect(byRef.get('r-package:R:Matrix')?.purl).toBe('pkg:cran/Matrix@1.7-4');
    // The runtime package is the project's own (data/lambdaruntime), not a CRAN package.
    expect(byRef.get('r-package:R:lambdaruntime')).toMatchObject({
      description: 'Part of r-lambda-layer, built from its data/lambdaruntime folder',
    });
    expect(byRef.get('r-package:R:lambdaruntime')?.purl).toBeUndefined();
  });

  it('names each library copied from the host with its sum and the OS package that owns it', () => {
    expect(byRef.get('host-library:libgfortran.so.5')).toMatchObject({
      version: '12.2.0-14+deb12u1',
      purl: 'pkg:deb/debian/libgfortran5@12.2.0-14%2Bdeb12u1?arch=amd64',
      hashes: [{ alg: 'SHA-256', content: sum('6') }],
    });
    expect(byRef.get('host-library:libodd.so.1')?.description).toContain('no package manager owns it');
  });

  it('ties every part to the layer zip it is in, and the zips to the layer set', () => {
    const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn]));
    expect(deps.get('r-lambda-layers-4.6.1-x86_64')).toEqual([
      'layer:r.zip',
      'layer:r_lib.zip',
      'layer:subsystem.zip',
    ]);
    expect(deps.get('layer:r.zip')).toEqual([
      'stage:R',
      'r-package:R:stats',
      'r-package:R:Matrix',
      'r-package:R:jsonlite',
      'r-package:R:lambdaruntime',
    ]);
    expect(deps.get('layer:r_lib.zip')).toEqual(['r-package:site:R6']);
    expect(deps.get('layer:subsystem.zip')).toEqual([
      'stage:openssl',
      'host-library:libgfortran.so.5',
      'host-library:libodd.so.1',
    ]);
  });

  it('is deterministic: the same manifest gives the same bytes, other layers another serial number', () => {
    expect(sbomText(buildSbom(manifest, licenses))).toBe(sbomText(bom));
    const other = buildSbom(
      { ...manifest, layers: manifest.layers.map((l) => ({ ...l, sha256: sum('f') })) },
      licenses,
    );
    expect(other.serialNumber).not.toBe(bom.serialNumber);
    expect(bom.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
