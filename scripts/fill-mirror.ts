/**
 * Fills a local source mirror from Debian's source packages, for offline and air-gapped builds, and for this
 * project's end-to-end tests (upstream URLs are out of reach on the test machines). Run through scripts/fill-mirror.sh:
 *
 *   scripts/fill-mirror.sh [MIRROR_DIR]   (default: ${R_LAMBDA_LAYER_HOME:-~/.cache/r-lambda-layer}/mirror)
 *
 * It writes:
 *   MIRROR_DIR/src/            the stages' tarballs. Where Debian's orig file is byte for byte the pinned upstream file
 *                              (same SHA-256), it is stored under the upstream file name, so `--source-mirror DIR/src`
 *                              finds it by the ordinary lookup and the build verifies the pinned sum; other files keep
 *                              Debian's name and get an override.
 *   MIRROR_DIR/overrides.txt   one override per repacked stage (zlib, libxml2, R, …), for `build --overrides-file`
 *   MIRROR_DIR/r-version       the R version of the r-base tarball
 *   MIRROR_DIR/sources.tsv     per stage: Debian package and version, file, sum, and whether it is pinned or overridden
 *   MIRROR_DIR/cran/           a CRAN-like repository (PACKAGES written by tools::write_PACKAGES)
 *   MIRROR_DIR/extra-stages.yml an extra-stages file (build --extra-stages) that builds libsodium from Debian's source,
 *                              whose orig file is in src/ under Debian's name, verified by the index's SHA-256
 *   MIRROR_DIR/debian/         Debian's orig files as downloaded (verified against the signed index); a second run
 *                              reuses them and downloads nothing new
 *
 * Every version apt lists is a candidate (src/mirror/debian-sources.ts orders them): a version whose files answer 404
 * is passed over for the next one. It fails, naming the package, only when no version arrives. Needs deb-src entries
 * (scripts/install-test-deps.sh adds Debian's newer suites as source-only entries).
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  orderCandidates,
  parseShowsrc,
  type Candidate,
  type DebianSource,
} from '../src/mirror/debian-sources.js';
import { compareVersions } from '../src/pipeline/tree/glibc.js';
import { toolHome } from '../src/pipeline/plan/options.js';
import { fileNameOf, fillTemplate } from '../src/pipeline/plan/plan.js';
import { run, runChecked } from '../src/util/exec.js';
import { sha256File } from '../src/util/hash.js';
import { loadRecipe } from '../src/pipeline/plan/recipe.js';

/** The Debian source package of each recipe stage. */
const DEBIAN_PACKAGE: Record<string, string> = {
  zlib: 'zlib',
  openssl: 'openssl',
  curl: 'curl',
  bzip2: 'bzip2',
  xz: 'xz-utils',
  pcre2: 'pcre2',
  libxml2: 'libxml2',
  R: 'r-base',
};
/**
 * CRAN packages: the runtime's jsonlite, two with native code that link our libxml2 and libcurl, and what current
 * xml2 (1.4 and later) imports: cli and rlang. Then three that each need a system library the recipe does not build
 * (png: libpng, sodium: libsodium, fftw: fftw3), for the system-requirements tests; their sources compile against
 * R 4.6 (unlike Debian's gmp, jpeg, XML and Rcpp, whose newest downloadable sources do not).
 */
const CRAN_PACKAGES = ['jsonlite', 'xml2', 'curl', 'cli', 'rlang', 'R6', 'png', 'sodium', 'fftw'];
/**
 * Packages that also get an older release in CRAN's archive layout (src/contrib/Archive/NAME/NAME_VERSION.tar.gz),
 * for the lockfile tests: R6 is pure R (installs in seconds), and Debian 12 carries an older release than unstable.
 */
const CRAN_ARCHIVED = ['R6'];

/**
 * A library built as a user's extra stage in the tests (the sodium package against it, in the bare root). The version
 * 1.0.22 is asked for first: its orig file is a release with a generated configure script.
 */
const EXTRA_STAGE = { name: 'libsodium', debian: 'libsodium', version: '1.0.22', license: 'ISC' };

const mirror = path.resolve(process.argv[2] || path.join(toolHome(), 'mirror'));
const downloads = path.join(mirror, 'debian');
const staging = path.join(mirror, '.staging');

/** A file's SHA-256, or '' when it is not there (not downloaded yet, or did not arrive). */
const sha256 = (file: string): Promise<string> => sha256File(file).catch(() => '');
const say = (line: string): void => console.log(`fill-mirror: ${line}`);

class MirrorError extends Error {}

/** Debian's orig file of the first candidate that arrives intact, kept in MIRROR_DIR/debian/. */
async function obtain(pkg: string, candidates: Candidate[]): Promise<{ file: string; chosen: Candidate }> {
  if (candidates.length === 0) {
    throw new MirrorError(
      `apt lists no source package '${pkg}'. Enable deb-src entries (scripts/install-test-deps.sh) and run apt-get update.`,
    );
  }
  const failures: string[] = [];
  for (const candidate of candidates) {
    const file = path.join(downloads, candidate.origFile);
    if ((await sha256(file)) === candidate.origSha256) return { file, chosen: candidate };
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fill-mirror-'));
    try {
      // Only the orig file: the archive sometimes lacks a version's .dsc or .debian.tar.* while its orig file, all a
      // build needs, is there. apt-helper downloads through apt's own configuration and checks the index's sum.
      const uris = await run('apt-get', ['source', '--print-uris', `${pkg}=${candidate.version}`], {
        cwd: dir,
      });
      const uri = uris.stdout
        .split('\n')
        .map((line) => /^'([^']+)'\s+(\S+)/.exec(line))
        .find((m) => m?.[2] === candidate.origFile)?.[1];
      const got = path.join(dir, candidate.origFile);
      const result = uri
        ? await run('/usr/lib/apt/apt-helper', ['download-file', uri, got, `SHA256:${candidate.origSha256}`])
        : uris;
      const actual = await sha256(got);
      if (actual === candidate.origSha256) {
        await mkdir(downloads, { recursive: true });
        await copyFile(got, `${file}.part`);
        await rename(`${file}.part`, file);
        return { file, chosen: candidate };
      }
      const why = actual
        ? `sha256 ${actual}, the index says ${candidate.origSha256}`
        : (result.stderr || result.stdout)
            .split('\n')
            .filter((l) => l.startsWith('E:'))
            .join(' / ') || `exit ${result.code}`;
      failures.push(`  ${pkg}=${candidate.version}: ${why}`);
      say(`${pkg}=${candidate.version} did not arrive (${why}); trying the next version`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  throw new MirrorError(
    `no version of Debian source package '${pkg}' could be downloaded. Tried, best first:\n${failures.join('\n')}\n` +
      'Check the network to the Debian archive and the deb-src entries (scripts/install-test-deps.sh).',
  );
}

async function showsrc(pkg: string): Promise<DebianSource[]> {
  const result = await run('apt-cache', ['showsrc', pkg], { env: { ...process.env, LC_ALL: 'C' } });
  return parseShowsrc(result.stdout);
}

interface Row {
  stage: string;
  debian: string;
  file: string;
  sha256: string;
  version: string;
  how: 'pinned' | 'override';
  note: string;
}

async function fillStages(): Promise<{ rows: Row[]; overrides: string[]; rVersion: string }> {
  const recipe = loadRecipe();
  const rows: Row[] = [];
  const overrides: string[] = [];
  let rVersion = '';
  for (const stage of recipe.stages) {
    if (stage.kind !== 'source') continue;
    const pkg = DEBIAN_PACKAGE[stage.name];
    if (!pkg)
      throw new MirrorError(`stage ${stage.name} has no Debian source package (scripts/fill-mirror.ts).`);
    // R's version is chosen here (the newest that arrives); its pinned sums are for CRAN's .tar.gz, never Debian's.
    const wanted = stage.name === 'R' ? {} : { version: stage.version, sha256: stage.sha256 };
    const { file, chosen } = await obtain(pkg, orderCandidates(await showsrc(pkg), wanted));
    const version = chosen.upstreamVersion;
    const pinned = chosen.match === 'identical';
    // The pinned upstream file goes under its upstream name (found by the build's mirror lookup, checked against
    // the pinned sum); anything else keeps Debian's name and gets an override with the index's sum.
    const name = pinned
      ? fileNameOf(fillTemplate(stage.url, { version, major: version.split('.')[0] ?? '' }))
      : chosen.origFile;
    await copyFile(file, path.join(staging, 'src', name));
    let note = '';
    if (chosen.match === 'other' && stage.version) {
      note = `the pinned ${stage.version} could not be had; ${version} instead`;
      console.warn(`fill-mirror: warning: ${stage.name}: ${note}`);
    } else if (chosen.match === 'repack') {
      note = 'Debian repacks this release';
    }
    if (!pinned) {
      const location = `file://${path.join(mirror, 'src', name)}`;
      overrides.push(`${stage.name}=${location},sha256=${chosen.origSha256},version=${version}`);
    }
    rows.push({
      stage: stage.name,
      debian: `${pkg}=${chosen.version}`,
      file: name,
      sha256: chosen.origSha256,
      version,
      how: pinned ? 'pinned' : 'override',
      note,
    });
    if (stage.name === 'R') rVersion = version;
  }
  return { rows, overrides, rVersion };
}

/** CRAN's layout: NAME_VERSION.tar.gz holding NAME/ (Debian's repack may name the folder differently). */
async function repackForCran(name: string, origFile: string, intoDir: string): Promise<string> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'fill-mirror-cran-'));
  try {
    await runChecked('tar', ['-xf', origFile, '-C', work]);
    const top = (await readdir(work, { withFileTypes: true })).filter((e) => e.isDirectory());
    const dir = top.find((e) => e.name === name) ?? top[0];
    if (!dir) throw new MirrorError(`${origFile} holds no package folder`);
    const description = readFileSync(path.join(work, dir.name, 'DESCRIPTION'), 'utf8');
    const version = /^Version:\s*(\S+)/m.exec(description)?.[1];
    if (!version) throw new MirrorError(`${origFile}: DESCRIPTION has no Version`);
    if (dir.name !== name) await rename(path.join(work, dir.name), path.join(work, name));
    await mkdir(intoDir, { recursive: true });
    // Same bytes on every fill (sorted, no times or owners), so a tarball's sum in an SBOM stays meaningful.
    await runChecked('tar', [
      ...['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'],
      ...['--use-compress-program=gzip -n', '-cf', path.join(intoDir, `${name}_${version}.tar.gz`)],
      ...['-C', work, name],
    ]);
    return version;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function fillCran(): Promise<string[]> {
  const contrib = path.join(staging, 'cran', 'src', 'contrib');
  const lines: string[] = [];
  for (const name of CRAN_PACKAGES) {
    const pkg = `r-cran-${name.toLowerCase()}`;
    const candidates = orderCandidates(await showsrc(pkg), {});
    const { file, chosen } = await obtain(pkg, candidates);
    const version = await repackForCran(name, file, contrib);
    lines.push(`${name} ${version} (from ${pkg}=${chosen.version})`);
    if (!CRAN_ARCHIVED.includes(name)) continue;
    // The oldest other release Debian lists, as CRAN keeps superseded releases.
    const older = candidates
      .filter((c) => c.upstreamVersion !== chosen.upstreamVersion)
      .sort((a, b) => compareVersions(a.upstreamVersion, b.upstreamVersion));
    if (older.length === 0)
      throw new MirrorError(`apt lists only one release of ${pkg}; the archive needs two.`);
    const archived = await obtain(pkg, older);
    const archivedVersion = await repackForCran(name, archived.file, path.join(contrib, 'Archive', name));
    lines.push(`${name} ${archivedVersion} in Archive/ (from ${pkg}=${archived.chosen.version})`);
  }
  await runChecked('Rscript', [
    '--vanilla',
    '-e',
    `tools::write_PACKAGES(${JSON.stringify(contrib)}, type = 'source')`,
  ]);
  return lines;
}

/** The extra-stages file for EXTRA_STAGE, its source stored in src/ under Debian's file name. */
async function fillExtraStage(): Promise<string> {
  const { name, debian, version, license } = EXTRA_STAGE;
  const { file, chosen } = await obtain(debian, orderCandidates(await showsrc(debian), { version }));
  await copyFile(file, path.join(staging, 'src', chosen.origFile));
  const yaml = [
    "# Written by scripts/fill-mirror.ts: an extra stage built from Debian's source of the library, for the tests.",
    'stages:',
    `  - name: ${name}`,
    `    version: "${chosen.upstreamVersion}"`,
    `    url: file://${path.join(mirror, 'src', chosen.origFile)}`,
    `    sha256: ${chosen.origSha256}`,
    `    license: ${license}`,
    `    provides: [${name}]`,
    '    dependsOn: []',
    '    flags: [--disable-static]',
    '    commands:',
    '      - ./configure --prefix={prefix} {flags}',
    '      - make -j{jobs}',
    '      - make install DESTDIR={destdir}',
  ];
  await writeFile(path.join(staging, 'extra-stages.yml'), yaml.join('\n') + '\n');
  return `${name} ${chosen.upstreamVersion} (from ${debian}=${chosen.version}) as an extra stage`;
}

async function main(): Promise<void> {
  await rm(staging, { recursive: true, force: true });
  await mkdir(path.join(staging, 'src'), { recursive: true });
  await mkdir(path.join(staging, 'cran', 'src', 'contrib'), { recursive: true });
  const { rows, overrides, rVersion } = await fillStages();
  const cran = await fillCran();
  const extra = await fillExtraStage();
  const tsv = [
    'stage\tversion\thow\tfile\tsha256\tdebian\tnote',
    ...rows.map((r) => [r.stage, r.version, r.how, r.file, r.sha256, r.debian, r.note].join('\t')),
  ];
  await writeFile(path.join(staging, 'sources.tsv'), tsv.join('\n') + '\n');
  await writeFile(path.join(staging, 'overrides.txt'), overrides.join('\n') + '\n');
  await writeFile(path.join(staging, 'r-version'), rVersion + '\n');
  // Swap the finished parts in; overrides.txt last, since its presence says "the mirror is complete".
  await rm(path.join(mirror, 'overrides.txt'), { force: true });
  for (const part of ['src', 'cran', 'extra-stages.yml', 'sources.tsv', 'r-version', 'overrides.txt']) {
    await rm(path.join(mirror, part), { recursive: true, force: true });
    await rename(path.join(staging, part), path.join(mirror, part));
  }
  await rm(staging, { recursive: true, force: true });
  say(`mirror at ${mirror}`);
  for (const r of rows) {
    say(
      `  ${r.stage.padEnd(8)} ${r.version.padEnd(8)} ${r.how === 'pinned' ? 'upstream file, pinned sum' : 'override'}  ${r.file}  (${r.debian})${r.note ? `  ${r.note}` : ''}`,
    );
  }
  for (const line of cran) say(`  cran     ${line}`);
  say(`  extra    ${extra}`);
}

main().catch(async (error: unknown) => {
  await rm(staging, { recursive: true, force: true });
  console.error(`fill-mirror: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
