/**
 * The build options, parsed and validated in one place: the CLI and the GitHub Action both hand their raw values to
 * parseBuildOptions(). The options themselves (names, defaults, flags, descriptions) are declared in
 * src/options/declarations.ts; the messages follow src/options/parse.ts.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { OptionIn, OptionName } from '../../options/declarations.js';
import {
  booleanOption,
  lineOption,
  listOption,
  optionError,
  textOption,
  type RawOptions,
} from '../../options/parse.js';
import { packagesWithLock, parsePackageList, parseRenvLock, type PackagePin } from './lockfile.js';
import {
  PRUNE_SWITCH_NAMES,
  PRUNE_SWITCHES,
  type PruneInput,
  type PruneOptions,
  type PruneSwitch,
} from './prune-options.js';
import { sha256 } from '../../util/hash.js';

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
  /** R is configured with its recommended packages (MASS, Matrix, …); without them a package needing one gets it in r_lib. */
  recommendedPackages: boolean;
  /** OS packages the user named, installed with those the packages' SystemRequirements resolve to. */
  systemPackages: string[];
  /** A YAML file of the user's own native stages (src/pipeline/extra-stages.ts), read when the build starts. */
  extraStagesFile?: string;
}

/** The prune switches' inputs, by the PruneOptions field each sets. */
export const PRUNE_INPUTS = Object.fromEntries(
  PRUNE_SWITCH_NAMES.map((name) => [PRUNE_SWITCHES[name].input, name]),
) as Record<PruneInput, PruneSwitch>;

/** Packages installed when neither packages nor a lockfile is given. */
export const DEFAULT_PACKAGES = 'aws.s3';

/** Where the tool keeps its own state by default: outside any clone, so CI reruns find their cache. */
export function toolHome(): string {
  return process.env.R_LAMBDA_LAYER_HOME || path.join(os.homedir(), '.cache', 'r-lambda-layer');
}

const SHA256 = /^[0-9a-f]{64}$/;
const R_VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

export function parseRVersion(value: string): string {
  const v = value.trim();
  if (v === 'release') return v;
  const m = R_VERSION.exec(v);
  if (!m) throw optionError('r-version', `"${v}" is not a valid R version`);
  if (Number(m[1]) < 4) {
    throw optionError(
      'r-version',
      `R ${v} is not supported: this tool builds R 4.0.0 and later (it uses PCRE2)`,
      'R 4.0.0 or later, or "release" for CRAN\'s newest',
    );
  }
  return v;
}

/** A SHA-256 sum; `what` names the value in the message when it is part of a larger one (an override). */
export function parseSha256(name: OptionName, value: string, what = `"${value}"`): string {
  const v = value.trim().toLowerCase();
  if (!SHA256.test(v)) throw optionError(name, `${what} is not a SHA-256 sum`, '64 hexadecimal characters');
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
    const { names, pins } = parsePackageList(packagesText || DEFAULT_PACKAGES);
    return { packages: names, pins };
  }
  const file = path.resolve(cwd, lockfileText);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw optionError(
      'lockfile',
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      undefined,
      { cause: error },
    );
  }
  const lock = parseRenvLock(text, file);
  const { names, pins } = packagesWithLock(parsePackageList(packagesText), lock, file);
  return {
    packages: names,
    pins,
    lockfile: {
      path: file,
      sha256: sha256(text),
      rVersion: lock.rVersion,
    },
  };
}

/** OS package names as dnf and apt-get take them; never anything a shell or an option parser would read. */
export function parseSystemPackages(names: readonly string[]): string[] {
  for (const name of names) {
    if (!/^[A-Za-z0-9][A-Za-z0-9.+_:-]*$/.test(name))
      throw optionError('system-packages', `"${name}" is not a package name`);
  }
  return [...new Set(names)];
}

export function parseRepoUrl(value: string): string {
  const v = value.trim().replace(/\/+$/, '');
  if (!/^(https?|file):\/\/./.test(v)) throw optionError('cran-repo', `"${value}" is not a repository URL`);
  return v;
}

/**
 * One override: `NAME=LOCATION,sha256=HEX[,version=V]`, e.g.
 * `openssl=/srv/mirror/openssl-3.0.15.tar.gz,sha256=…,version=3.0.15`.
 */
export function parseOverride(spec: string, stageNames: readonly string[]): [string, SourceOverride] {
  const fail = (problem: string, accepted?: string) => optionError('source-overrides', problem, accepted);
  const eq = spec.indexOf('=');
  if (eq <= 0) throw fail(`"${spec}" is not an override`);
  const name = spec.slice(0, eq).trim();
  if (!stageNames.includes(name)) {
    throw fail(`unknown stage "${name}"`, `one of the stages with sources: ${stageNames.join(', ')}`);
  }
  const [location = '', ...rest] = spec.slice(eq + 1).split(',');
  if (!location.trim()) throw fail(`"${spec}" has no location`);
  const override: SourceOverride = { location: location.trim() };
  for (const part of rest) {
    const [key, val = ''] = part.split('=', 2).map((s) => s.trim());
    if (key === 'sha256') override.sha256 = parseSha256('source-overrides', val, `${name}'s sum "${val}"`);
    else if (key === 'version') {
      if (!/^[0-9][0-9A-Za-z._-]*$/.test(val)) {
        throw fail(`${name}'s version "${val}" is not a version`, 'a version such as 3.0.15');
      }
      override.version = val;
    } else throw fail(`${name}: unknown setting "${key}"`);
  }
  if (!override.sha256) {
    // The sum is what makes an override safe to build and to cache: the same path can later hold another file.
    throw fail(
      `${name} has no SHA-256 (an override is only trusted with its sum)`,
      `…,sha256=HEX with the tarball's sum, computed with: sha256sum ${override.location.replace(/^file:\/\//, '')}`,
    );
  }
  return [name, override];
}

export function parseOverrides(
  lines: readonly string[] | string,
  stageNames: readonly string[],
): Record<string, SourceOverride> {
  const result: Record<string, SourceOverride> = {};
  for (const line of typeof lines === 'string' ? lines.split(/\r?\n/) : lines) {
    const spec = line.replace(/#.*$/, '').trim();
    if (!spec) continue;
    const [name, override] = parseOverride(spec, stageNames);
    if (result[name]) {
      throw optionError('source-overrides', `stage "${name}" is overridden twice`, 'one override per stage');
    }
    result[name] = override;
  }
  return result;
}

// Folders end up in build commands and configure scripts, which break on spaces and must never run what a path holds.
const SAFE_PATH = /^[A-Za-z0-9._/+@-]+$/;

function absolutePath(name: OptionIn<'build'>, value: string, cwd: string): string {
  const resolved = path.resolve(cwd, value);
  if (!SAFE_PATH.test(resolved)) {
    throw optionError(
      name,
      `"${resolved}" has spaces or shell characters`,
      'a path of letters, digits and . _ / + @ - only',
    );
  }
  return resolved;
}

/**
 * Turn raw values into validated options. `sourceStages` are the names of the recipe's source stages
 * (the ones an override may name).
 */
export function parseBuildOptions(
  raw: RawOptions,
  sourceStages: readonly string[],
  cwd: string = process.cwd(),
): BuildOptions {
  const get = (name: OptionIn<'build'>): string => textOption(raw, name);
  const home = toolHome();

  const prefix = get('prefix');
  if (!path.isAbsolute(prefix) || path.resolve(prefix) === '/') {
    throw optionError('prefix', `"${prefix}" is not an absolute folder other than /`);
  }
  absolutePath('prefix', prefix, cwd);

  const jobsText = get('jobs');
  const jobs = jobsText === '' ? os.availableParallelism() : Number(jobsText);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) {
    throw optionError('jobs', `"${jobsText}" is not a number of parallel jobs`);
  }

  const prune = Object.fromEntries(
    PRUNE_SWITCH_NAMES.map((name) => [name, booleanOption(raw, PRUNE_SWITCHES[name].input)]),
  ) as PruneOptions;

  const mirror = get('source-mirror');
  const rSha = get('r-sha256');
  return {
    rVersion: parseRVersion(get('r-version')),
    rSha256: rSha ? parseSha256('r-sha256', rSha) : undefined,
    ...parsePackageRequest(get('packages'), get('lockfile'), cwd),
    cranRepo: parseRepoUrl(get('cran-repo')),
    prefix: path.resolve(prefix),
    outDir: absolutePath('out-dir', get('out-dir'), cwd),
    cacheDir: absolutePath('cache-dir', get('cache-dir') || path.join(home, 'cache'), cwd),
    workDir: absolutePath('work-dir', get('work-dir') || path.join(home, 'work'), cwd),
    sourceMirror: mirror
      ? /^[a-z]+:\/\//.test(mirror)
        ? mirror.replace(/\/+$/, '')
        : path.resolve(cwd, mirror)
      : undefined,
    overrides: parseOverrides(lineOption(raw, 'source-overrides'), sourceStages),
    prune,
    jobs,
    installToolchain: booleanOption(raw, 'install-toolchain'),
    recommendedPackages: booleanOption(raw, 'recommended-packages'),
    systemPackages: parseSystemPackages(listOption(raw, 'system-packages')),
    extraStagesFile: get('extra-stages') ? path.resolve(cwd, get('extra-stages')) : undefined,
  };
}
