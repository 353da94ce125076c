/**
 * Every build option, named once and validated in one place. The CLI and the GitHub Action both hand
 * their raw strings to parseBuildOptions(); its messages name the option and the accepted form.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { packagesWithLock, parsePackageList, parseRenvLock, type PackagePin } from './lockfile.js';
import { DEFAULT_PRUNE, type PruneOptions } from './prune-options.js';

export interface SourceOverride {
  /** A local path, file:// URL or http(s):// URL of the tarball. */
  location: string;
  sha256?: string;
  version?: string;
}

export interface BuildOptions {
  /** 'release' or an exact x.y.z (resolved to x.y.z before planning). */
  rVersion: string;
  rSha256?: string;
  /** Every package the site-library must hold (with a lockfile: every package of the lock). */
  packages: string[];
  /** The packages among them wanted at an exact version (name@version, or the lock's records). */
  pins: PackagePin[];
  /** The renv lockfile the packages come from, if any. */
  lockfile?: { path: string; sha256: string; rVersion?: string };
  cranRepo: string;
  prefix: string;
  outDir: string;
  cacheDir: string;
  workDir: string;
  sourceMirror?: string;
  overrides: Record<string, SourceOverride>;
  prune: PruneOptions;
  jobs: number;
  installToolchain: boolean;
}

/** Raw option values keyed by the action's input names (the CLI maps its flags onto the same names). */
export type RawBuildOptions = Partial<Record<BuildOptionName, string>>;

export const PRUNE_INPUTS = {
  'prune-translations': 'translations',
  'prune-strip': 'strip',
  'prune-docs': 'docs',
  'prune-man-pages': 'manPages',
  'prune-static-libs': 'staticLibs',
  'prune-package-extras': 'packageExtras',
  'prune-help': 'help',
  'prune-headers': 'headers',
} as const satisfies Record<string, keyof PruneOptions>;

export const BUILD_OPTION_NAMES = [
  'r-version',
  'r-sha256',
  'packages',
  'lockfile',
  'cran-repo',
  'prefix',
  'out-dir',
  'cache-dir',
  'work-dir',
  'source-mirror',
  'source-overrides',
  'jobs',
  'install-toolchain',
  ...(Object.keys(PRUNE_INPUTS) as (keyof typeof PRUNE_INPUTS)[]),
] as const;
export type BuildOptionName = (typeof BUILD_OPTION_NAMES)[number];

/** Where the tool keeps its own state by default: outside any clone, so CI reruns find their cache. */
export function toolHome(): string {
  return process.env.R_LAMBDA_LAYER_HOME || path.join(os.homedir(), '.cache', 'r-lambda-layer');
}

export const DEFAULTS = {
  'r-version': 'release',
  packages: 'aws.s3',
  'cran-repo': 'https://cloud.r-project.org',
  prefix: '/opt',
  'out-dir': 'layers',
} as const;

const SHA256 = /^[0-9a-f]{64}$/;
const R_VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

export function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  const v = (value ?? '').trim();
  if (v === '') return fallback;
  // YAML 1.2 core booleans only: 'yes' or 'on' are more likely typos than intent.
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  throw new UserError(`${name}: "${v}" is not a boolean; use true or false.`);
}

export function parseRVersion(value: string): string {
  const v = value.trim();
  if (v === 'release') return v;
  const m = R_VERSION.exec(v);
  if (!m) {
    throw new UserError(
      `r-version: "${v}" is not a valid R version; use an exact version such as 4.4.1, or "release" for CRAN's newest.`,
    );
  }
  if (Number(m[1]) < 4) {
    throw new UserError(
      `r-version: R ${v} is not supported; this tool builds R 4.0.0 and later (it uses PCRE2).`,
    );
  }
  return v;
}

export function parseSha256(name: string, value: string): string {
  const v = value.trim().toLowerCase();
  if (!SHA256.test(v))
    throw new UserError(`${name}: "${value}" is not a SHA-256 sum (64 hexadecimal characters).`);
  return v;
}

/**
 * The packages and exact versions: the packages option (names or name@version; empty means the default, aws.s3, or
 * none with a lockfile; "none" means none) and the renv lockfile, read here so the build sees its content.
 */
function parsePackageRequest(
  packagesText: string,
  lockfileText: string,
  cwd: string,
): Pick<BuildOptions, 'packages' | 'pins' | 'lockfile'> {
  if (!lockfileText) {
    const { names, pins } = parsePackageList(packagesText || DEFAULTS.packages);
    return { packages: names, pins };
  }
  const file = path.resolve(cwd, lockfileText);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(
      `lockfile: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the path of an renv.lock.`,
    );
  }
  const lock = parseRenvLock(text, file);
  const { names, pins } = packagesWithLock(parsePackageList(packagesText), lock, file);
  return {
    packages: names,
    pins,
    lockfile: {
      path: file,
      sha256: createHash('sha256').update(text).digest('hex'),
      rVersion: lock.rVersion,
    },
  };
}

export function parseRepoUrl(name: string, value: string): string {
  const v = value.trim().replace(/\/+$/, '');
  if (!/^(https?|file):\/\/./.test(v)) {
    throw new UserError(
      `${name}: "${value}" is not a repository URL; use https://… or file:///path/to/repo.`,
    );
  }
  return v;
}

/**
 * One override: `NAME=LOCATION,sha256=HEX[,version=V]`, e.g.
 * `openssl=/srv/mirror/openssl-3.0.15.tar.gz,sha256=…,version=3.0.15`.
 */
export function parseOverride(spec: string, stageNames: readonly string[]): [string, SourceOverride] {
  const form = 'use NAME=PATH_OR_URL,sha256=HEX[,version=X.Y.Z]';
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UserError(`source-overrides: "${spec}" is not an override; ${form}.`);
  const name = spec.slice(0, eq).trim();
  if (!stageNames.includes(name)) {
    throw new UserError(
      `source-overrides: unknown stage "${name}"; stages with sources are: ${stageNames.join(', ')}.`,
    );
  }
  const [location = '', ...rest] = spec.slice(eq + 1).split(',');
  if (!location.trim()) throw new UserError(`source-overrides: "${spec}" has no location; ${form}.`);
  const override: SourceOverride = { location: location.trim() };
  for (const part of rest) {
    const [key, val = ''] = part.split('=', 2).map((s) => s.trim());
    if (key === 'sha256') override.sha256 = parseSha256(`source-overrides (${name})`, val);
    else if (key === 'version') {
      if (!/^[0-9][0-9A-Za-z._-]*$/.test(val)) {
        throw new UserError(`source-overrides (${name}): "${val}" is not a version.`);
      }
      override.version = val;
    } else throw new UserError(`source-overrides (${name}): unknown setting "${key}"; ${form}.`);
  }
  if (!override.sha256) {
    // The sum is what makes an override safe to build and to cache: the same path can later hold another file.
    throw new UserError(
      `source-overrides (${name}): give the tarball's SHA-256 (…,sha256=HEX); an override is only trusted with its sum. ` +
        `Compute it with: sha256sum ${override.location.replace(/^file:\/\//, '')}`,
    );
  }
  return [name, override];
}

export function parseOverrides(text: string, stageNames: readonly string[]): Record<string, SourceOverride> {
  const result: Record<string, SourceOverride> = {};
  for (const line of text.split(/\r?\n/)) {
    const spec = line.replace(/#.*$/, '').trim();
    if (!spec) continue;
    const [name, override] = parseOverride(spec, stageNames);
    if (result[name]) throw new UserError(`source-overrides: stage "${name}" is overridden twice.`);
    result[name] = override;
  }
  return result;
}

// Folders end up in build commands and configure scripts, which break on spaces and must never run what a path holds.
const SAFE_PATH = /^[A-Za-z0-9._/+@-]+$/;

function absolutePath(name: string, value: string, cwd: string): string {
  const v = value.trim();
  if (!v) throw new UserError(`${name}: must not be empty.`);
  const resolved = path.resolve(cwd, v);
  if (!SAFE_PATH.test(resolved)) {
    throw new UserError(
      `${name}: "${resolved}" may hold only letters, digits and . _ / + @ - (no spaces or shell characters).`,
    );
  }
  return resolved;
}

/**
 * Turn raw strings into validated options. `sourceStages` are the names of the recipe's source stages
 * (the ones an override may name).
 */
export function parseBuildOptions(
  raw: RawBuildOptions,
  sourceStages: readonly string[],
  cwd: string = process.cwd(),
): BuildOptions {
  const get = (name: BuildOptionName): string => (raw[name] ?? '').trim();
  const home = toolHome();

  const prefix = get('prefix') || DEFAULTS.prefix;
  if (!path.isAbsolute(prefix) || path.resolve(prefix) === '/') {
    throw new UserError(
      `prefix: "${prefix}" must be an absolute folder other than /; Lambda unpacks layers in /opt.`,
    );
  }
  absolutePath('prefix', prefix, cwd);

  const jobsText = get('jobs');
  const jobs = jobsText === '' ? os.availableParallelism() : Number(jobsText);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
    throw new UserError(
      `jobs: "${jobsText}" is not a number of parallel jobs (a whole number from 1 to 256).`,
    );
  }

  const prune = { ...DEFAULT_PRUNE };
  for (const [input, key] of Object.entries(PRUNE_INPUTS)) {
    prune[key] = parseBoolean(input, raw[input as BuildOptionName], DEFAULT_PRUNE[key]);
  }

  const mirror = get('source-mirror');
  const rSha = get('r-sha256');
  return {
    rVersion: parseRVersion(get('r-version') || DEFAULTS['r-version']),
    rSha256: rSha ? parseSha256('r-sha256', rSha) : undefined,
    ...parsePackageRequest(get('packages'), get('lockfile'), cwd),
    cranRepo: parseRepoUrl('cran-repo', get('cran-repo') || DEFAULTS['cran-repo']),
    prefix: path.resolve(prefix),
    outDir: absolutePath('out-dir', get('out-dir') || DEFAULTS['out-dir'], cwd),
    cacheDir: absolutePath('cache-dir', get('cache-dir') || path.join(home, 'cache'), cwd),
    workDir: absolutePath('work-dir', get('work-dir') || path.join(home, 'work'), cwd),
    sourceMirror: mirror
      ? /^[a-z]+:\/\//.test(mirror)
        ? mirror.replace(/\/+$/, '')
        : path.resolve(cwd, mirror)
      : undefined,
    overrides: parseOverrides(raw['source-overrides'] ?? '', sourceStages),
    prune,
    jobs,
    installToolchain: parseBoolean('install-toolchain', raw['install-toolchain'], true),
  };
}
