/**
 * Packages that need system libraries, from the mirror's CRAN-like repository (scripts/fill-mirror.ts adds png,
 * sodium and fftw from Debian's r-cran-* sources): their SystemRequirements resolved with the rules, the -dev packages
 * installed with apt-get before anything compiles, recorded in the manifest, the SBOM and the log, and the layers run
 * in the bare minimal root (which has none of libpng, libsodium or fftw3), where each package does real work.
 *
 * The host's package database is changed here (as root, under the build lock like every build test): libsodium-dev
 * and libfftw3-dev are purged first, so the build must install them. libpng-dev is not purged (on this machine's
 * image it would take tk-dev and the font -dev packages with it): where it is installed, the build finds it and
 * records it; where it is not (another image), it is missing and installed like the other two.
 */
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cycloneDxErrors } from '../support/cyclonedx.js';
import { bareRoot, unresolvedLibraries, type BareRoot } from '../support/bare-root.js';
import { localMirror, mirrorBuildArgs, runCli, toolHome, type CliRun } from '../support/mirror.js';
import { parsed, startFunction } from './runtime-harness.js';
import type { Manifest } from '../../src/layers.js';
import type { CycloneDxBom } from '../../src/pipeline/output/sbom.js';

jest.setTimeout(20 * 60_000);

const mirror = localMirror();
const PURGED = ['libsodium-dev', 'libfftw3-dev'];

const installedVersion = (name: string): string | undefined => {
  try {
    const [status, version] = execFileSync('dpkg-query', ['-W', '-f', '${Status}\t${Version}', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\t');
    return status?.endsWith(' installed') ? version : undefined;
  } catch {
    return undefined;
  }
};

const HANDLER = `# sysreq.R: each package's library at work.
handler <- function(event, context) {
  switch(event$check,
    png = {
      f <- tempfile(fileext = ".png")
      img <- array(c(0, 0.5, 1, 0.25), dim = c(2, 2))
      png::writePNG(img, f)
      back <- png::readPNG(f)
      list(signature = rawToChar(readBin(f, "raw", 4)[2:4]), dim = dim(back), values = round(as.vector(back) * 255))
    },
    sodium = {
      key <- sodium::sig_keygen()
      msg <- charToRaw("r on lambda")
      sig <- sodium::sig_sign(msg, key)
      list(sha256 = sodium::bin2hex(sodium::sha256(charToRaw("abc"))),
           verified = sodium::sig_verify(msg, sig, sodium::sig_pubkey(key)))
    },
    fftw = {
      z <- fftw::FFT(c(1, 2, 3, 4))
      list(re = Re(z), im = Im(z))
    },
    stop("unknown check: ", event$check)
  )
}
`;

const SODIUM_WORKS = {
  kind: 'success',
  body: { sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', verified: true },
};

/**
 * The layers of `outDir` unpacked into a fresh minimal root: every ELF file must resolve its libraries there; then
 * the handler runs inside it (chroot), once per check; the outcomes in order.
 */
async function inBareRoot(outDir: string, checks: string[]): Promise<unknown[]> {
  const root = await bareRoot(outDir, { 'sysreq.R': HANDLER });
  roots.push(root);
  expect((await unresolvedLibraries(root.dir)).missing).toEqual([]);
  const f = await startFunction(path.join(root.dir, 'var/task'), 'sysreq.handler', {
    bootstrap: root.bootstrap,
    rscript: undefined,
    timeoutMs: 30_000,
    extraEnv: {},
  });
  try {
    const outcomes: unknown[] = [];
    for (const check of checks) {
      const outcome = await f.invoke({ check });
      outcomes.push({ kind: outcome.kind, body: parsed(outcome) });
    }
    return outcomes;
  } finally {
    await f.close();
  }
}

let base: string;
/** The -dev packages absent when the build starts: the purged ones, and libpng-dev where the image lacks it. */
let absent: string[];
let noToolchain: CliRun;
let missingPackage: CliRun;
let built: CliRun;
let out: string;
let manifest: Manifest;
const roots: BareRoot[] = [];

const emptyFolder = async (dir: string): Promise<boolean> =>
  !existsSync(dir) || (await readdir(dir)).length === 0;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'rll-sysreq-'));
  execFileSync('apt-get', ['purge', '-y', '-qq', ...PURGED], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  absent = [...PURGED, ...(installedVersion('libpng-dev') ? [] : ['libpng-dev'])].sort();
  const packages = ['--packages', 'png,sodium,fftw'];
  // Errors first, while the -dev packages are absent. Each with a cache folder of its own, which must stay empty.
  noToolchain = await runCli([
    'build',
    ...mirrorBuildArgs(mirror),
    ...packages,
    '--no-toolchain',
    '--cache-dir',
    path.join(base, 'cache-no-toolchain'),
    '--out',
    path.join(base, 'out-no-toolchain'),
  ]);
  missingPackage = await runCli([
    'build',
    ...mirrorBuildArgs(mirror),
    ...packages,
    '--system-packages',
    'r-lambda-layer-no-such-package',
    '--cache-dir',
    path.join(base, 'cache-missing'),
    '--out',
    path.join(base, 'out-missing'),
  ]);
  out = path.join(base, 'out');
  // With the toolchain step (apt-get), which installs what the rules name; the native stages come from the shared cache.
  built = await runCli(['build', ...mirrorBuildArgs(mirror), ...packages, '--out', out]);
  if (built.code !== 0) throw new Error(`build failed:\n${built.stderr.slice(-6000)}`);
  manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
}, 60 * 60_000);

afterAll(async () => {
  for (const root of roots) await root.remove();
});

describe('system requirements: errors before anything compiles', () => {
  it('--no-toolchain with libsodium-dev and libfftw3-dev absent names them, installs nothing, caches and zips nothing', async () => {
    expect(noToolchain.code).not.toBe(0);
    expect(noToolchain.stderr).toMatch(/--no-toolchain: these OS packages are needed and not installed/);
    expect(noToolchain.stderr).toMatch(/libsodium-dev \(for sodium\)/);
    expect(noToolchain.stderr).toMatch(/libfftw3-dev \(for fftw\)/);
    if (!absent.includes('libpng-dev')) expect(noToolchain.stderr).not.toMatch(/libpng-dev \(for/);
    expect(noToolchain.stderr).toContain(`apt-get install --no-install-recommends ${absent.join(' ')}`);
    expect(noToolchain.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
    expect(await emptyFolder(path.join(base, 'cache-no-toolchain'))).toBe(true);
    expect(await emptyFolder(path.join(base, 'out-no-toolchain'))).toBe(true);
  });

  it("an OS package the distribution does not have: one message with the package, apt's reason and how to supply it", async () => {
    expect(missingPackage.code).not.toBe(0);
    expect(missingPackage.stderr).toMatch(/System requirements that cannot be met on debian 12:/);
    expect(missingPackage.stderr).toMatch(
      /OS package r-lambda-layer-no-such-package, for \(system-packages\): Unable to locate package r-lambda-layer-no-such-package/,
    );
    expect(missingPackage.stderr).toMatch(/system-packages \(--system-packages\).*extra stage/s);
    expect(missingPackage.stderr).toMatch(/Nothing was compiled, cached or zipped/);
    expect(await emptyFolder(path.join(base, 'cache-missing'))).toBe(true);
    expect(await emptyFolder(path.join(base, 'out-missing'))).toBe(true);
  });
});

describe('system requirements: png, sodium and fftw resolved, installed, recorded, bundled', () => {
  it('installs exactly the -dev packages the rules name, and logs what each package resolved to', () => {
    for (const name of absent)
      expect({ name, version: installedVersion(name) }).toEqual({ name, version: expect.any(String) });
    expect(built.stderr).toMatch(/png 0\.1-\d+ "libpng": libpng → libpng-dev/);
    expect(built.stderr).toMatch(/sodium [\d.-]+ "libsodium \(>= 1\.0\.3\)": libsodium → libsodium-dev/);
    expect(built.stderr).toMatch(/fftw [\d.-]+ "fftw3 \(>= 3\.1\.2\)": fftw3 → libfftw3-dev/);
    expect(built.stderr).toContain(`$ apt-get install --no-install-recommends ${absent.join(' ')}\n`);
  });

  it('records the OS packages with their installed versions in manifest.json and the SBOM', async () => {
    const system = manifest.systemRequirements;
    expect(system?.platform).toBe('debian 12');
    expect(system?.osPackages.map((p) => [p.name, p.version, p.for])).toEqual([
      ['libfftw3-dev', installedVersion('libfftw3-dev'), ['fftw']],
      ['libpng-dev', installedVersion('libpng-dev'), ['png']],
      ['libsodium-dev', installedVersion('libsodium-dev'), ['sodium']],
    ]);
    const bom = JSON.parse(await readFile(path.join(out, 'sbom.cdx.json'), 'utf8')) as CycloneDxBom;
    expect(cycloneDxErrors(bom)).toEqual([]);
    const sodium = bom.components.find((c) => c['bom-ref'] === 'system-package:libsodium-dev');
    expect(sodium).toMatchObject({
      scope: 'excluded',
      version: installedVersion('libsodium-dev'),
      purl: expect.stringMatching(/^pkg:deb\/debian\/libsodium-dev@/),
    });
  });

  it("carries each package's shared library in subsystem.zip (lib/), with the OS package it came from", () => {
    const copied = Object.fromEntries(
      manifest.hostLibraries.map((l) => [l.soname.replace(/\.so.*$/, ''), l.package]),
    );
    expect(copied).toMatchObject({
      libpng16: 'libpng16-16',
      libsodium: 'libsodium23',
      libfftw3: 'libfftw3-double3',
    });
    const listing = execFileSync('unzip', ['-Z1', path.join(out, 'subsystem.zip')], { encoding: 'utf8' });
    for (const lib of ['lib/libpng16.so.16', 'lib/libsodium.so.23', 'lib/libfftw3.so.3'])
      expect(listing.split('\n')).toContain(lib);
  });

  it('in the bare root, every ELF file resolves its libraries, and png, sodium and fftw work', async () => {
    expect(await inBareRoot(out, ['png', 'sodium', 'fftw'])).toEqual([
      { kind: 'success', body: { signature: 'PNG', dim: [2, 2], values: [0, 128, 255, 64] } },
      SODIUM_WORKS,
      { kind: 'success', body: { re: [10, -2, -2, -2], im: [0, 2, 0, -2] } },
    ]);
  });
});

describe("an extra stage: libsodium built from Debian's source instead of the OS package", () => {
  let extraOut: string;
  let extraBuild: CliRun;
  let extraManifest: Manifest;

  beforeAll(async () => {
    // The OS package must not stand in for the stage: sodium has to compile against the prefix's libsodium.
    execFileSync('apt-get', ['purge', '-y', '-qq', 'libsodium-dev'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    extraOut = path.join(base, 'out-extra');
    extraBuild = await runCli([
      'build',
      ...mirrorBuildArgs(mirror),
      '--packages',
      'sodium',
      '--extra-stages',
      path.join(mirror.dir, 'extra-stages.yml'),
      '--no-toolchain',
      '--out',
      extraOut,
    ]);
    if (extraBuild.code !== 0) throw new Error(`build failed:\n${extraBuild.stderr.slice(-6000)}`);
    extraManifest = JSON.parse(await readFile(path.join(extraOut, 'manifest.json'), 'utf8')) as Manifest;
  }, 30 * 60_000);

  it('meets the rule with the stage: no OS package, the stage verified by its pinned sum and recorded', async () => {
    expect(installedVersion('libsodium-dev')).toBeUndefined();
    expect(extraBuild.stderr).toMatch(
      /sodium [\d.-]+ "libsodium \(>= 1\.0\.3\)": libsodium → stage libsodium/,
    );
    expect(extraManifest.systemRequirements?.osPackages).toEqual([]);
    const stage = extraManifest.stages.find((s) => s.name === 'libsodium');
    expect(stage).toMatchObject({
      sha256Source: 'pinned',
      url: expect.stringMatching(/libsodium_[\d.]+\.orig\.tar\.gz$/),
    });
    expect(extraManifest.hostLibraries.map((l) => l.soname).filter((s) => s.startsWith('libsodium'))).toEqual(
      [],
    );
    const bom = JSON.parse(await readFile(path.join(extraOut, 'sbom.cdx.json'), 'utf8')) as CycloneDxBom;
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.components.find((c) => c['bom-ref'] === 'stage:libsodium')).toMatchObject({
      licenses: [{ expression: 'ISC' }],
      version: stage?.version,
    });
  });

  it("runs sodium in the bare root against the stage's library", async () => {
    expect(await inBareRoot(extraOut, ['sodium'])).toEqual([SODIUM_WORKS]);
  });
});

describe('a requirement no rule covers, and a compile that fails anyway', () => {
  let repo: string;

  /** A source package in the test's repository: DESCRIPTION fields, and files under its folder. */
  async function addPackage(name: string, description: string, files: Record<string, string>): Promise<void> {
    const pkg = path.join(base, 'unmatched-src', name);
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(pkg, file)), { recursive: true });
      await writeFile(path.join(pkg, file), text);
    }
    await writeFile(
      path.join(pkg, 'DESCRIPTION'),
      `Package: ${name}\nVersion: 1.0\nTitle: Test\nDescription: Test.\nLicense: MIT\n` +
        'Author: r-lambda-layer\nMaintainer: r-lambda-layer <noreply@example.org>\n' +
        description,
    );
    const contrib = path.join(repo, 'src', 'contrib');
    execFileSync('tar', ['-czf', path.join(contrib, `${name}_1.0.tar.gz`), '-C', path.dirname(pkg), name]);
  }

  const buildFrom = (packages: string, outDir: string): Promise<CliRun> =>
    runCli([
      'build',
      ...mirrorBuildArgs(mirror),
      '--cran-repo',
      `file://${repo}`,
      '--packages',
      packages,
      '--no-toolchain',
      '--out',
      outDir,
    ]);

  beforeAll(async () => {
    // A copy of the mirror's repository (the runtime's own packages come from it too) with two packages of ours.
    repo = path.join(base, 'unmatched-repo');
    const contrib = path.join(repo, 'src', 'contrib');
    await mkdir(contrib, { recursive: true });
    const mirrorContrib = path.join(new URL(mirror.cranRepo).pathname, 'src', 'contrib');
    for (const file of await readdir(mirrorContrib))
      if (file.endsWith('.tar.gz')) await copyFile(path.join(mirrorContrib, file), path.join(contrib, file));
    // Pure R, with SystemRequirements no rule matches.
    await addPackage('needsnothing', 'SystemRequirements: C++17, a very particular set of skills\n', {
      NAMESPACE: 'export(answer)\n',
      'R/answer.R': 'answer <- function() 42L\n',
    });
    // C code written for an older R: R_ext/PrtUtil.h is gone from R 4.6's headers.
    await addPackage('oldheaders', 'SystemRequirements: libpng, GNU make\n', {
      NAMESPACE: 'useDynLib(oldheaders)\n',
      'src/old.c': '#include <R.h>\n#include <R_ext/PrtUtil.h>\nvoid old_print(void) { }\n',
    });
    execFileSync('Rscript', [
      '--vanilla',
      '-e',
      `tools::write_PACKAGES(${JSON.stringify(contrib)}, type = "source")`,
    ]);
  });

  it('is listed in the log and the manifest, and the package still builds when it needs nothing more', async () => {
    const unmatchedOut = path.join(base, 'out-unmatched');
    const run = await buildFrom('needsnothing', unmatchedOut);
    expect({ code: run.code, log: run.code ? run.stderr.slice(-3000) : '' }).toEqual({ code: 0, log: '' });
    expect(run.stderr).toMatch(
      /needsnothing 1\.0 "C\+\+17, a very particular set of skills": no rule for: "C\+\+17", "a very particular set of skills"/,
    );
    const m = JSON.parse(await readFile(path.join(unmatchedOut, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.systemRequirements?.packages).toEqual([
      {
        package: 'needsnothing',
        version: '1.0',
        text: 'C++17, a very particular set of skills',
        met: [],
        unmatched: ['C++17', 'a very particular set of skills'],
      },
    ]);
    expect(m.systemRequirements?.osPackages).toEqual([]);
  });

  it("a compile failure shows the log's tail and the requirements as resolved, blames no library, and leaves no cache entry or zips", async () => {
    // The shared stage cache (native stages and R are hits): the failed packages stage must add no entry to it.
    const sharedCache = path.join(toolHome(), 'cache');
    const packageEntries = async (): Promise<string[]> =>
      (await readdir(sharedCache)).filter((e) => e.startsWith('r-lambda-layer-v1-r-packages-'));
    const before = await packageEntries();
    const failedOut = path.join(base, 'out-oldheaders');
    const run = await buildFrom('oldheaders', failedOut);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /R package 'oldheaders' .*did not install: R's header R_ext\/PrtUtil\.h is missing/,
    );
    expect(run.stderr).not.toMatch(/install the library's development package/);
    expect(run.stderr).toMatch(
      /System requirements as resolved:\n {2}oldheaders 1\.0 "libpng, GNU make": gnumake → toolchain \(make\); libpng → libpng-dev/,
    );
    expect(run.stderr).toMatch(/--- last 50 lines of .*r-packages\.log ---/);
    expect(await emptyFolder(failedOut)).toBe(true);
    expect(await packageEntries()).toEqual(before);
  });
});
