/**
 * Exact package versions from an renv.lock and from NAME@VERSION, against the mirror's CRAN-like repository, which
 * holds two releases of R6: the newer in src/contrib/, the older in src/contrib/Archive/R6/ (scripts/fill-mirror.ts).
 * The native stages and R come from the shared stage cache (npm test warms it); only the package stages run here.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cycloneDxErrors } from '../support/cyclonedx.js';
import { localMirror, mirrorBuildArgs, runCli, toolHome, type CliRun } from '../support/mirror.js';
import type { CycloneDxBom } from '../../src/pipeline/output/sbom.js';
import type { Manifest } from '../../src/layers.js';

const mirror = localMirror();
const contrib = path.join(new URL(mirror.cranRepo).pathname, 'src', 'contrib');
const sharedCache = path.join(toolHome(), 'cache');
const sha256 = (file: string): string =>
  execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
let base: string;
let archived: string;
let current: string;

/** An renv.lock as renv::snapshot() writes it (renv 1.x), for the given packages. */
function lockText(packages: Record<string, string>, repoUrl = 'https://cloud.r-project.org'): string {
  return JSON.stringify(
    {
      R: { Version: mirror.rVersion, Repositories: [{ Name: 'CRAN', URL: repoUrl }] },
      Packages: Object.fromEntries(
        Object.entries(packages).map(([name, version]) => [
          name,
          {
            Package: name,
            Version: version,
            Source: 'Repository',
            Repository: 'CRAN',
            Requirements: ['R'],
            Hash: '0',
          },
        ]),
      ),
    },
    null,
    2,
  );
}

interface Build extends CliRun {
  out: string;
  manifest?: Manifest;
  stages?: { name: string; cacheHit: boolean }[];
}

async function build(name: string, extra: string[], cacheDir = sharedCache): Promise<Build> {
  const out = path.join(base, name, 'out');
  const run = await runCli([
    'build',
    ...mirrorBuildArgs(mirror),
    '--no-toolchain',
    '--out',
    out,
    '--cache-dir',
    cacheDir,
    ...extra,
  ]);
  if (run.code !== 0) return { ...run, out };
  const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  const stages = (JSON.parse(run.stdout) as { stages: { name: string; cacheHit: boolean }[] }).stages;
  return { ...run, out, manifest, stages };
}

const site = (m: Manifest | undefined) => m?.rPackages.filter((p) => p.library === 'site');

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'rll-lock-'));
  const older = await readdir(path.join(contrib, 'Archive', 'R6'));
  archived = /^R6_(.+)\.tar\.gz$/.exec(older[0] ?? '')?.[1] ?? '';
  current =
    /^R6_(.+)\.tar\.gz$/.exec((await readdir(contrib)).find((f) => f.startsWith('R6_')) ?? '')?.[1] ?? '';
  if (!archived || !current)
    throw new Error(`the mirror has no two releases of R6 under ${contrib}; run scripts/fill-mirror.sh`);
});

const LONG = 30 * 60_000;

describe('a lock pinning the older release', () => {
  let first: Build;
  let lockFile: string;

  beforeAll(async () => {
    lockFile = path.join(base, 'renv.lock');
    await writeFile(lockFile, lockText({ R6: archived }));
    first = await build('lock', ['--lockfile', lockFile]);
  }, LONG);

  it("installs exactly the lock's version, from the repository's Archive/", () => {
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(archived).not.toBe(current);
    expect(site(first.manifest)).toEqual([
      expect.objectContaining({
        name: 'R6',
        version: archived,
        url: `${mirror.cranRepo}/src/contrib/Archive/R6/R6_${archived}.tar.gz`,
        sha256: sha256(path.join(contrib, 'Archive', 'R6', `R6_${archived}.tar.gz`)),
      }),
    ]);
    expect(first.manifest?.lockfile?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the version is what R itself reports from the zip', async () => {
    const dir = path.join(base, 'lock', 'unzipped');
    execFileSync('unzip', ['-q', path.join(first.out, 'r_lib.zip'), '-d', dir]);
    const description = await readFile(path.join(dir, 'local/lib/R/site-library/R6/DESCRIPTION'), 'utf8');
    expect(description).toMatch(new RegExp(`^Version: ${archived.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('the SBOM names it with its tarball, sum and the lock, and validates', async () => {
    const bom = JSON.parse(await readFile(path.join(first.out, 'sbom.cdx.json'), 'utf8')) as CycloneDxBom;
    expect(cycloneDxErrors(bom)).toEqual([]);
    expect(bom.components.find((c) => c['bom-ref'] === 'r-package:site:R6')).toMatchObject({
      version: archived,
      purl: `pkg:cran/R6@${archived}`,
      externalReferences: [{ hashes: [{ content: site(first.manifest)?.[0]?.sha256 }] }],
    });
    expect(bom.metadata.properties).toContainEqual({
      name: 'r-lambda-layer:renv-lock-sha256',
      value: first.manifest?.lockfile?.sha256,
    });
  });

  it(
    'installing again from the same lock, with no cached packages, gives byte-identical zips',
    async () => {
      // A private copy of the stage cache (hard links) without this lock's package stages.
      const cache = path.join(base, 'cache-copy');
      execFileSync('cp', ['-al', sharedCache, cache]);
      for (const entry of await readdir(cache)) {
        if (/-r-(runtime-)?packages-/.test(entry)) await rm(path.join(cache, entry), { recursive: true });
      }
      const again = await build('lock-again', ['--lockfile', lockFile], cache);
      expect(again.code).toBe(0);
      expect(again.stages?.filter((s) => !s.cacheHit).map((s) => s.name)).toEqual([
        'r-runtime-packages',
        'r-packages',
      ]);
      for (const file of ['r.zip', 'r_lib.zip', 'subsystem.zip', 'manifest.json', 'sbom.cdx.json']) {
        const [a, b] = await Promise.all([
          readFile(path.join(first.out, file)),
          readFile(path.join(again.out, file)),
        ]);
        expect({ file, same: a.equals(b) }).toEqual({ file, same: true });
      }
    },
    LONG,
  );
});

it(
  'NAME@VERSION pins a version without a lock, over the newer release in the repository',
  async () => {
    const run = await build('at-version', ['--packages', `R6@${archived}`]);
    expect(run.code).toBe(0);
    expect(site(run.manifest)?.map((p) => `${p.name} ${p.version}`)).toEqual([`R6 ${archived}`]);
    expect(run.manifest?.lockfile).toBeNull();
  },
  LONG,
);

it(
  "takes a version the repository lacks from the lock's own repository URL",
  async () => {
    // A second CRAN-like repository holding a release the mirror does not: R6 re-versioned as 0.0.1.
    const second = path.join(base, 'second-repo');
    const work = path.join(base, 'second-work');
    await mkdir(path.join(second, 'src', 'contrib'), { recursive: true });
    await mkdir(work, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(contrib, `R6_${current}.tar.gz`), '-C', work]);
    const description = path.join(work, 'R6', 'DESCRIPTION');
    await writeFile(
      description,
      (await readFile(description, 'utf8')).replace(/^Version: .*$/m, 'Version: 0.0.1'),
    );
    execFileSync('tar', ['-czf', path.join(second, 'src', 'contrib', 'R6_0.0.1.tar.gz'), '-C', work, 'R6']);
    const lockFile = path.join(base, 'second.lock');
    await writeFile(lockFile, lockText({ R6: '0.0.1' }, `file://${second}`));
    const run = await build('lock-repo', ['--lockfile', lockFile]);
    expect(run.stderr).not.toMatch(/error/i);
    expect(site(run.manifest)).toEqual([
      expect.objectContaining({
        name: 'R6',
        version: '0.0.1',
        url: `file://${second}/src/contrib/R6_0.0.1.tar.gz`,
      }),
    ]);
  },
  LONG,
);

it(
  'a lock with versions no repository has: one error naming each, no zips, no cache entry',
  async () => {
    const lockFile = path.join(base, 'missing.lock');
    await writeFile(lockFile, lockText({ R6: '9.9.9', jsonlite: '0.0.1' }));
    const before = await readdir(sharedCache);
    const run = await build('missing', ['--lockfile', lockFile]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/2 R packages cannot be had at the version asked for:/);
    expect(run.stderr).toMatch(
      new RegExp(
        `  R6 9\\.9\\.9 \\(tried ${mirror.cranRepo}/src/contrib/R6_9\\.9\\.9\\.tar\\.gz, ${mirror.cranRepo}/src/contrib/Archive/R6/R6_9\\.9\\.9\\.tar\\.gz, https://cloud\\.r-project\\.org/src/contrib/R6_9\\.9\\.9\\.tar\\.gz`,
      ),
    );
    expect(run.stderr).toMatch(/\n {2}jsonlite 0\.0\.1 \(tried /);
    expect(run.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
    expect(await readdir(run.out).catch(() => [])).toEqual([]);
    const added = (await readdir(sharedCache)).filter((e) => !before.includes(e));
    expect(added.filter((e) => e.includes('-r-packages-'))).toEqual([]);
  },
  LONG,
);

it('a lock with a GitHub record is refused before anything runs', async () => {
  const lockFile = path.join(base, 'github.lock');
  const lock = JSON.parse(lockText({ R6: archived })) as { Packages: Record<string, unknown> };
  lock.Packages.mypkg = { Package: 'mypkg', Version: '0.1.0', Source: 'GitHub', RemoteUsername: 'me' };
  await writeFile(lockFile, JSON.stringify(lock));
  const run = await build('github', ['--lockfile', lockFile]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(
    /lockfile \(--lockfile\): .*github\.lock has packages from sources this tool cannot install: mypkg 0\.1\.0 \(Source: GitHub\)/,
  );
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/\b(hit|miss)\b/); // no stage ran
});
