/**
 * Bad input: each gives a clear message and a non-zero exit, and leaves no cache entry and no zips behind.
 * Runs with a fresh, empty cache (so sources are really fetched), except the unknown-package case, which uses the
 * shared stage cache so that only the failing package stage runs.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { localMirror, mirrorBuildArgs, runCli, toolHome } from '../support/mirror.js';

const mirror = localMirror();
/** Debian's file names hold regular-expression characters (zlib_1.3.dfsg+really1.3.2.orig.tar.gz). */
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let base: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'rll-bad-'));
});

const entries = async (dir: string): Promise<string[]> =>
  (await readdir(dir).catch(() => [] as string[])).filter((e) => !e.startsWith('.tmp'));

async function build(name: string, extra: string[], cacheDir = path.join(base, name, 'cache')) {
  const out = path.join(base, name, 'out');
  const result = await runCli([
    'build',
    '--no-toolchain',
    '--prefix',
    '/opt',
    '--out',
    out,
    '--cache-dir',
    cacheDir,
    '--work-dir',
    path.join(base, name, 'work'),
    ...extra,
  ]);
  return { ...result, out, cacheDir };
}

async function expectCleanFailure(
  run: Awaited<ReturnType<typeof build>>,
  message: RegExp,
  cacheBefore: string[] = [],
) {
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/); // a user error, not a stack trace
  expect(await entries(run.out)).toEqual([]);
  expect((await entries(run.cacheDir)).sort()).toEqual(cacheBefore.sort());
}

it('a malformed R version', async () => {
  const run = await build('version', ['--r-version', '4.2']);
  await expectCleanFailure(
    run,
    /error: r-version \(--r-version\): "4\.2" is not a valid R version; use an exact version such as 4\.4\.1, or "release"/,
  );
});

it('a tampered tarball in the mirror: checksum mismatch naming file, expected and actual sums', async () => {
  const dir = path.join(base, 'tampered-mirror');
  await mkdir(dir, { recursive: true });
  const line = mirror.overrides.split('\n').find((l) => l.startsWith('zlib='))!;
  const original = new URL(line.slice('zlib='.length).split(',')[0]!).pathname;
  const copy = path.join(dir, path.basename(original));
  await cp(original, copy);
  const bytes = await readFile(copy);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0xff, bytes.length - 100);
  await writeFile(copy, bytes);
  const expected = /sha256=([0-9a-f]{64})/.exec(line)![1]!;
  const actual = execFileSync('sha256sum', [copy], { encoding: 'utf8' }).split(' ')[0];
  const run = await build('tampered', [
    '--r-version',
    mirror.rVersion,
    '--override',
    line.replace(original, copy),
  ]);
  await expectCleanFailure(run, new RegExp(`zlib: checksum mismatch for file://${escapeRegExp(copy)}`));
  expect(run.stderr).toContain(`expected sha256 ${expected}`);
  expect(run.stderr).toContain(`actual   sha256 ${actual}`);
});

it('a tampered upstream file in the mirror fails the pinned sum, with no override anywhere', async () => {
  const pinned = mirror.sources.find((s) => s.stage === 'openssl' && s.how === 'pinned');
  if (!pinned)
    throw new Error(`the mirror holds no pinned openssl (sources.tsv): ${JSON.stringify(mirror.sources)}`);
  const dir = path.join(base, 'tampered-upstream');
  await cp(mirror.sourceMirror, dir, { recursive: true });
  const file = path.join(dir, pinned.file);
  const bytes = await readFile(file);
  bytes.writeUInt8(bytes.readUInt8(1000) ^ 0xff, 1000);
  await writeFile(file, bytes);
  const zlib = mirror.overrides.split('\n').find((l) => l.startsWith('zlib='))!;
  const run = await build('tampered-upstream', [
    '--r-version',
    mirror.rVersion,
    '--override',
    zlib,
    '--source-mirror',
    dir,
  ]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(new RegExp(`openssl: checksum mismatch for ${escapeRegExp(file)}`));
  expect(run.stderr).toContain(`expected sha256 ${pinned.sha256} (pinned)`);
  expect(await entries(run.out)).toEqual([]);
  // zlib, before it, was built and cached; openssl never is.
  const cached = await entries(run.cacheDir);
  expect(cached.some((e) => e.includes('-zlib-'))).toBe(true);
  expect(cached.filter((e) => e.includes('-openssl-'))).toEqual([]);
});

it('a file missing from the mirror', async () => {
  const empty = path.join(base, 'empty-mirror');
  await mkdir(empty, { recursive: true });
  const run = await build('missing', ['--r-version', mirror.rVersion, '--source-mirror', empty]);
  await expectCleanFailure(
    run,
    new RegExp(
      `zlib: source file ${empty}/zlib-1\\.3\\.2\\.tar\\.gz does not exist \\(mirror\\)\\. Put zlib-1\\.3\\.2\\.tar\\.gz in the mirror`,
    ),
  );
});

it('an override without its SHA-256 is refused before anything runs', async () => {
  const run = await build('nosum', ['--r-version', mirror.rVersion, '--override', 'zlib=/srv/zlib.tar.gz']);
  await expectCleanFailure(
    run,
    /source-overrides \(--override\): zlib has no SHA-256 \(an override is only trusted with its sum\); use …,sha256=HEX .*sha256sum \/srv\/zlib\.tar\.gz/,
  );
});

it('a stage whose configure fails: its last log lines and the log path, no cache entry', async () => {
  const src = path.join(base, 'broken-src', 'zlib-broken');
  await mkdir(src, { recursive: true });
  await writeFile(
    path.join(src, 'configure'),
    '#!/bin/sh\necho "checking for a working compiler... no"\necho "configure: error: no acceptable C compiler" >&2\nexit 1\n',
    { mode: 0o755 },
  );
  const tarball = path.join(base, 'zlib-broken.tar.gz');
  execFileSync('tar', ['-czf', tarball, '-C', path.dirname(src), 'zlib-broken']);
  const sum = execFileSync('sha256sum', [tarball], { encoding: 'utf8' }).split(' ')[0];
  const run = await build('configure', [
    '--r-version',
    mirror.rVersion,
    '--override',
    `zlib=${tarball},sha256=${sum},version=1.2.13`,
  ]);
  await expectCleanFailure(run, /stage zlib failed: `\.\/configure --prefix=\/opt` exited with status 1\./);
  expect(run.stderr).toMatch(
    /--- last 50 lines of .*zlib\.log ---\n[\s\S]*configure: error: no acceptable C compiler/,
  );
  expect(run.stderr).toMatch(/--- full log: .*logs\/zlib\.log/);
});

it(
  'an unknown R package is named, with the repository',
  async () => {
    const cacheDir = path.join(toolHome(), 'cache');
    const before = await entries(cacheDir);
    const run = await build(
      'package',
      [...mirrorBuildArgs(mirror), '--packages', 'xml2,notapackage'],
      cacheDir,
    );
    // The native stages and R may have been built (and cached) by this run on a cold cache; the package stage must not be.
    const after = await entries(cacheDir);
    expect(after.filter((e) => !before.includes(e)).filter((e) => e.includes('-r-packages-'))).toEqual([]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(`R package 'notapackage' not found in the repository ${mirror.cranRepo}`),
    );
    expect(await entries(run.out)).toEqual([]);
  },
  60 * 60_000,
);

it(
  'a cached stage with a truncated .stage.json: a warning naming stage, key and file, the stage rebuilt, and kept in the manifest',
  async () => {
    // A copy of the shared cache, so the damage stays in this test; zlib is the cheapest stage to rebuild.
    const shared = path.join(toolHome(), 'cache');
    const cacheDir = path.join(base, 'damaged', 'cache');
    await mkdir(path.dirname(cacheDir), { recursive: true });
    await cp(shared, cacheDir, { recursive: true });
    // Every zlib entry (the shared cache may hold several builds' keys): whichever this build uses is damaged.
    const zlibKeys = (await entries(cacheDir)).filter((e) => /-zlib-/.test(e));
    if (zlibKeys.length === 0) throw new Error(`no zlib entry in ${shared}: run the warm build first`);
    for (const key of zlibKeys) {
      const file = path.join(cacheDir, key, '.stage.json');
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.slice(0, Math.floor(text.length / 2)));
    }

    const run = await build('damaged', [...mirrorBuildArgs(mirror), '--packages', 'xml2,curl'], cacheDir);
    expect(run.code).toBe(0);
    const output = run.stdout + run.stderr;
    const manifest = JSON.parse(await readFile(path.join(run.out, 'manifest.json'), 'utf8')) as {
      stages: { name: string; cacheKey: string }[];
    };
    // Still in the manifest (it was dropped silently before), under the key the warning names.
    const zlibKey =
      manifest.stages.find((s) => s.name === 'zlib')?.cacheKey ?? 'zlib missing from the manifest';
    expect(output).toMatch(
      new RegExp(
        `warning: stage zlib: the cached entry ${zlibKey} has a damaged record: \\S*/stages/zlib/\\.stage\\.json is not JSON \\(.*treating it as a cache miss`,
      ),
    );
    expect(output).toMatch(/\nzlib\s+miss /);
    // The rebuilt stage's record is whole again in the cache.
    expect(JSON.parse(await readFile(path.join(cacheDir, zlibKey, '.stage.json'), 'utf8'))).toMatchObject({
      name: 'zlib',
      cacheKey: zlibKey,
    });
  },
  60 * 60_000,
);
