/**
 * The local source mirror that scripts/fill-mirror.sh fills from Debian's source packages. End-to-end tests build
 * from it, since upstream URLs are out of reach on the test machines.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

export const toolHome = (): string =>
  process.env.R_LAMBDA_LAYER_HOME || path.join(os.homedir(), '.cache', 'r-lambda-layer');

/** One stage of the mirror, as scripts/fill-mirror.ts recorded it in sources.tsv. */
export interface MirrorSource {
  stage: string;
  version: string;
  /** pinned: stored under the upstream file name, verified against data/stages.yml's sum; override: Debian's file. */
  how: 'pinned' | 'override';
  file: string;
  sha256: string;
  debian: string;
  note: string;
}

export interface Mirror {
  dir: string;
  /** The folder of tarballs, for --source-mirror. */
  sourceMirror: string;
  overridesFile: string;
  overrides: string;
  rVersion: string;
  cranRepo: string;
  sources: MirrorSource[];
  /** Each stage's upstream version in the mirror. */
  versions: Record<string, string>;
}

export function localMirror(): Mirror {
  const dir = path.join(toolHome(), 'mirror');
  const overridesFile = path.join(dir, 'overrides.txt');
  if (!existsSync(overridesFile)) {
    throw new Error(`No source mirror at ${dir}: run scripts/fill-mirror.sh first (npm test does).`);
  }
  const [, ...rows] = readFileSync(path.join(dir, 'sources.tsv'), 'utf8').trim().split('\n');
  const sources = rows.map((row): MirrorSource => {
    const [stage = '', version = '', how = '', file = '', sha256 = '', debian = '', note = ''] =
      row.split('\t');
    return { stage, version, how: how as MirrorSource['how'], file, sha256, debian, note };
  });
  return {
    dir,
    sourceMirror: path.join(dir, 'src'),
    overridesFile,
    overrides: readFileSync(overridesFile, 'utf8'),
    rVersion: readFileSync(path.join(dir, 'r-version'), 'utf8').trim(),
    cranRepo: `file://${path.join(dir, 'cran')}`,
    sources,
    versions: Object.fromEntries(sources.map((s) => [s.stage, s.version])),
  };
}

/** The build options that take every source and package from the mirror, as npm test's warm-up build does. */
export const mirrorBuildArgs = (mirror: Mirror): string[] => [
  '--r-version',
  mirror.rVersion,
  '--overrides-file',
  mirror.overridesFile,
  '--source-mirror',
  mirror.sourceMirror,
  '--cran-repo',
  mirror.cranRepo,
];

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** Run a program in the repository with a bounded time (SIGKILL after `timeoutMs`), collecting its output. */
export function runProcess(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Run the CLI from source as a user would (a child process), with a bounded time. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 45 * 60_000,
): Promise<CliRun> {
  const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
  return runProcess(
    tsx,
    [path.join(repoRoot, 'src', 'cli.ts'), ...args],
    { ...process.env, ...env },
    timeoutMs,
  );
}
