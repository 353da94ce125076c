/** SystemRequirements read from real source tarballs in a file:// CRAN-like repository made here. */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { memoryLogger } from '../../../../src/log.js';
import { repository } from '../../../../src/pipeline/plan/cran-index.js';
import { requirementsToInstall, tarballUrls } from '../../../../src/pipeline/sysreqs/descriptions.js';

let dir: string;
let repo: string;
const contrib = (): string => path.join(dir, 'repo', 'src', 'contrib');

async function addPackage(name: string, version: string, fields: string, into = contrib()): Promise<void> {
  const src = path.join(dir, 'build', name);
  await mkdir(src, { recursive: true });
  await writeFile(path.join(src, 'DESCRIPTION'), `Package: ${name}\nVersion: ${version}\n${fields}`);
  await mkdir(into, { recursive: true });
  execFileSync('tar', [
    '-czf',
    path.join(into, `${name}_${version}.tar.gz`),
    '-C',
    path.join(dir, 'build'),
    name,
  ]);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'descriptions-'));
  repo = `file://${path.join(dir, 'repo')}`;
  await addPackage('app', '1.0', 'Imports: pic (>= 0.1), stats\nLinkingTo: hdr\n');
  await addPackage('pic', '0.1-8', 'Depends: R (>= 2.9.0)\nSystemRequirements: libpng\n');
  await addPackage('hdr', '2.0', 'SystemRequirements: GNU make,\n    C++17\n');
  await addPackage(
    'old',
    '0.9',
    'SystemRequirements: libsodium (>= 1.0.3)\n',
    path.join(contrib(), 'Archive', 'old'),
  );
  // The index as tools::write_PACKAGES writes it: no SystemRequirements (CRAN's does not carry it either).
  await writeFile(
    path.join(contrib(), 'PACKAGES'),
    [
      'Package: app\nVersion: 1.0\nImports: pic (>= 0.1), stats\nLinkingTo: hdr\n',
      'Package: pic\nVersion: 0.1-8\nDepends: R (>= 2.9.0)\n',
      'Package: hdr\nVersion: 2.0\n',
      'Package: MASS\nVersion: 7.3\nPriority: recommended\n',
    ].join('\n'),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("packages' own DESCRIPTION files", () => {
  it("reads SystemRequirements for the packages and their Depends, Imports and LinkingTo, skipping R's own packages", async () => {
    const cacheDir = path.join(dir, 'cache');
    const inputs = {
      packages: ['app', 'MASS'],
      pins: [],
      locked: false,
      repository: repository(repo),
      recommendedInR: true,
      cacheDir,
      log: memoryLogger(),
    };
    const expected = [
      { package: 'app', version: '1.0', text: '' },
      { package: 'hdr', version: '2.0', text: 'GNU make, C++17' },
      { package: 'pic', version: '0.1-8', text: 'libpng' },
    ];
    expect(await requirementsToInstall(inputs)).toEqual(expected);
    expect((await readdir(cacheDir)).length).toBe(3);
    // A second build reads the cache, not the tarballs.
    await rm(path.join(contrib(), 'pic_0.1-8.tar.gz'));
    expect(await requirementsToInstall(inputs)).toEqual(expected);
    await addPackage('pic', '0.1-8', 'Depends: R (>= 2.9.0)\nSystemRequirements: libpng\n');
  });

  it('reads a recommended package too when R is built without them (the install brings it into the site library)', async () => {
    await addPackage('MASS', '7.3', 'Priority: recommended\nDepends: grDevices, graphics, stats, utils\n');
    const got = await requirementsToInstall({
      packages: ['MASS'],
      pins: [],
      locked: false,
      repository: repository(repo),
      recommendedInR: false,
      cacheDir: path.join(dir, 'cache-minimal'),
      log: memoryLogger(),
    });
    expect(got).toEqual([{ package: 'MASS', version: '7.3', text: '' }]);
    // With them, R's own library has it: nothing to read, though the tarball is there.
    expect(
      await requirementsToInstall({
        packages: ['MASS'],
        pins: [],
        locked: false,
        repository: repository(repo),
        recommendedInR: true,
        cacheDir: path.join(dir, 'cache-full'),
        log: memoryLogger(),
      }),
    ).toEqual([]);
  });

  it("a pinned version comes from the repository's Archive/", async () => {
    const pins = [{ name: 'old', version: '0.9', repos: [] }];
    const got = await requirementsToInstall({
      packages: ['old'],
      pins,
      locked: true,
      repository: repository(repo),
      recommendedInR: true,
      cacheDir: path.join(dir, 'cache2'),
      log: memoryLogger(),
    });
    expect(got).toEqual([{ package: 'old', version: '0.9', text: 'libsodium (>= 1.0.3)' }]);
  });

  it('an unreadable index is a warning: the install reports the repository in its own words', async () => {
    const log = memoryLogger();
    const got = await requirementsToInstall({
      packages: ['app'],
      pins: [],
      locked: false,
      repository: repository(`file://${path.join(dir, 'nowhere')}`),
      recommendedInR: true,
      cacheDir: path.join(dir, 'cache3'),
      log,
    });
    expect(got).toEqual([]);
    expect(log.lines.join('\n')).toMatch(
      /cannot read the repository's index .*nowhere\/src\/contrib\/PACKAGES/,
    );
  });

  it('looks for a tarball in the repository, then its Archive/, in each repository given', () => {
    expect(tarballUrls('png', '0.1-8', ['https://a', 'https://b', 'https://a'])).toEqual([
      'https://a/src/contrib/png_0.1-8.tar.gz',
      'https://a/src/contrib/Archive/png/png_0.1-8.tar.gz',
      'https://b/src/contrib/png_0.1-8.tar.gz',
      'https://b/src/contrib/Archive/png/png_0.1-8.tar.gz',
    ]);
  });
});
