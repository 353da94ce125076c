import {
  hostWarning,
  isLambdaHost,
  lambdaArchitecture,
  parseGlibcVersion,
  parseOsRelease,
} from '../../../src/pipeline/host.js';
import { packageManagerFor, toolchainCommands, TOOLCHAIN } from '../../../src/pipeline/toolchain.js';
import { parseRecipe, loadRecipe } from '../../../src/pipeline/recipe.js';
import { parseVersionInfo } from '../../../src/pipeline/r-versions.js';
import { parseDescription } from '../../../src/pipeline/manifest.js';

const AL2023 =
  'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"\nPLATFORM_ID="platform:al2023"\n';

describe('build host', () => {
  it('reads os-release and glibc versions', () => {
    expect(parseOsRelease(AL2023)).toMatchObject({ ID: 'amzn', VERSION_ID: '2023', ID_LIKE: 'fedora' });
    expect(parseGlibcVersion('ldd (Debian GLIBC 2.36-9+deb12u10) 2.36\nCopyright (C) 2022')).toBe('2.36');
    expect(parseGlibcVersion('ldd (GNU libc) 2.34\n')).toBe('2.34');
  });

  it('maps Node architectures to Lambda names and refuses the rest', () => {
    expect(lambdaArchitecture('x64')).toBe('x86_64');
    expect(lambdaArchitecture('arm64')).toBe('arm64');
    expect(() => lambdaArchitecture('ia32')).toThrow(/ia32.*no Lambda runtime/);
  });

  it('says plainly when the host cannot make Lambda-compatible binaries', () => {
    const al = { osId: 'amzn', osVersion: '2023', arch: 'x86_64' as const, glibc: '2.34' };
    const deb = { osId: 'debian', osVersion: '12', arch: 'x86_64' as const, glibc: '2.36' };
    expect(isLambdaHost(al)).toBe(true);
    expect(hostWarning(al)).toBeUndefined();
    expect(hostWarning(deb)).toMatch(
      /debian 12 \(glibc 2\.36\), not Amazon Linux 2023.*newer than Lambda's 2\.34.*will not load on Lambda.*amazonlinux:2023/,
    );
  });

  it("says what is true for a host whose glibc is not newer than Lambda's (Debian 11), or unknown", () => {
    const deb = { osId: 'debian', osVersion: '12', arch: 'x86_64' as const, glibc: '2.36' };
    const bullseye = { ...deb, osVersion: '11', glibc: '2.31' };
    const text = hostWarning(bullseye) ?? '';
    expect(text).toMatch(
      /debian 11 \(glibc 2\.31\).*not newer than Lambda's 2\.34.*can load on Lambda as far as glibc goes/,
    );
    expect(text).not.toMatch(/will not load/);
    expect(hostWarning({ ...deb, glibc: '2.34' })).toMatch(/not newer than Lambda's 2\.34/);
    expect(hostWarning({ ...deb, glibc: 'unknown' })).toMatch(
      /glibc version is unknown.*glibc scan after the build/,
    );
  });
});

describe('toolchain', () => {
  it('picks dnf on Amazon Linux and apt-get on Debian', () => {
    expect(packageManagerFor({ osId: 'amzn' })).toBe('dnf');
    expect(packageManagerFor({ osId: 'ubuntu' })).toBe('apt-get');
    expect(packageManagerFor({ osId: 'alpine' })).toBeUndefined();
  });

  it('installs compilers, gfortran, and the tar and gzip the cache needs', () => {
    const [dnf] = toolchainCommands('dnf', true);
    expect(dnf?.slice(0, 3)).toEqual(['dnf', 'install', '-y']);
    for (const p of [
      'gcc',
      'gcc-c++',
      'gcc-gfortran',
      'make',
      'perl',
      'tar',
      'gzip',
      'zip',
      'which',
      'file',
      'patch',
    ]) {
      expect(dnf).toContain(p);
    }
    const apt = toolchainCommands('apt-get', false);
    expect(apt[0]).toEqual(['sudo', 'apt-get', 'update', '-qq']);
    expect(apt[1]).toEqual(expect.arrayContaining(['sudo', 'apt-get', ...TOOLCHAIN['apt-get']]));
  });
});

describe('recipe data', () => {
  it('loads data/stages.yml with a pinned sum for every native stage, and none for the backdoored xz', () => {
    const recipe = loadRecipe();
    for (const stage of recipe.stages) {
      if (stage.kind === 'source' && stage.name !== 'R')
        expect({ name: stage.name, sha: stage.sha256 }).toEqual({
          name: stage.name,
          sha: expect.stringMatching(/^[0-9a-f]{64}$/),
        });
    }
    expect(Object.keys(recipe.rChecksums)).toEqual(expect.arrayContaining(['4.2.2', '4.4.1', '4.5.2']));
    const xz = recipe.stages.find((s) => s.name === 'xz');
    if (xz?.kind !== 'source') throw new Error('xz must be a source stage');
    expect(['5.6.0', '5.6.1']).not.toContain(xz.version);
  });

  it('rejects a stage that depends on one defined after it', () => {
    const text =
      'stages:\n  - name: a\n    url: https://x/a.tgz\n    dependsOn: [b]\n  - name: b\n    url: https://x/b.tgz\n';
    expect(() => parseRecipe(text)).toThrow(/stage a: depends on 'b', which is not defined before it/);
  });
});

describe('small parsers', () => {
  it("reads CRAN's VERSION-INFO.dcf", () => {
    expect(parseVersionInfo('Release: 4.5.2\nRelease-Date: 2025-10-31\nPatched: 4.5.2\n')).toBe('4.5.2');
    expect(parseVersionInfo('nothing here')).toBeUndefined();
  });

  it('reads a DESCRIPTION', () => {
    expect(parseDescription('Package: xml2\nTitle: Parse XML\nVersion: 1.3.3\n')).toEqual({
      name: 'xml2',
      version: '1.3.3',
    });
    expect(
      parseDescription('Package: lambdaruntime\nVersion: 1.0.0\nRepository: r-lambda-layer\n'),
    ).toMatchObject({
      repository: 'r-lambda-layer',
    });
  });
});
