/**
 * Exact package versions: renv lockfiles and `name@version` entries of the packages option. Pure: text in, pins out.
 * The install (data/install-packages.R) fetches each pin from the repository, its Archive/, or the lock's own
 * repository, and checks the installed version afterwards.
 */
import { optionError, splitList } from '../../options/parse.js';

/** One package at one exact version. */
export interface PackagePin {
  name: string;
  version: string;
  /** Where else to look after cran-repo (and its Archive/): the lock's own repository URL, if it has one. */
  repos: string[];
}

export interface Lockfile {
  /** The lock's R version (R.Version), if it records one. */
  rVersion?: string;
  pins: PackagePin[];
}

// R's own rule for package names (Writing R Extensions 1.1.1); versions are numbers separated by . or -.
export const R_PACKAGE = /^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$/;
export const PACKAGE_VERSION = /^\d+([.-]\d+)+$/;

/** renv writes CRAN-like records as Source "Repository"; lockfiles of renv before 0.15 say "CRAN". */
const REPOSITORY_SOURCES = new Set(['Repository', 'CRAN']);

interface RenvRecord {
  Package?: unknown;
  Version?: unknown;
  Source?: unknown;
  Repository?: unknown;
}

const isUrl = (text: string): boolean => /^(https?|file):\/\/./.test(text);
const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/** Parse an renv.lock. `file` names it in messages. */
export function parseRenvLock(text: string, file: string): Lockfile {
  let doc: { R?: { Version?: unknown; Repositories?: unknown }; Packages?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (error) {
    throw optionError('lockfile', `${file} is not JSON (${(error as Error).message})`, undefined, {
      cause: error,
    });
  }
  if (!doc || typeof doc !== 'object' || !doc.Packages || typeof doc.Packages !== 'object') {
    throw optionError('lockfile', `${file} has no "Packages" object`);
  }
  const repositories = new Map<string, string>();
  if (Array.isArray(doc.R?.Repositories)) {
    for (const repo of doc.R.Repositories as { Name?: unknown; URL?: unknown }[]) {
      if (typeof repo?.Name === 'string' && typeof repo.URL === 'string' && isUrl(repo.URL)) {
        repositories.set(repo.Name, trimSlash(repo.URL));
      }
    }
  }
  const pins: PackagePin[] = [];
  const unsupported: string[] = [];
  const malformed: string[] = [];
  for (const [key, value] of Object.entries(doc.Packages as Record<string, RenvRecord>)) {
    const name = typeof value?.Package === 'string' ? value.Package : key;
    const version = typeof value?.Version === 'string' ? value.Version : '';
    const source = typeof value?.Source === 'string' ? value.Source : '';
    if (!R_PACKAGE.test(name) || !PACKAGE_VERSION.test(version)) {
      malformed.push(`${key} (Package "${String(value?.Package)}", Version "${String(value?.Version)}")`);
      continue;
    }
    if (!REPOSITORY_SOURCES.has(source)) {
      unsupported.push(`${name} ${version} (Source: ${source || 'none'})`);
      continue;
    }
    const repository = typeof value.Repository === 'string' ? value.Repository : '';
    const url = isUrl(repository) ? trimSlash(repository) : repositories.get(repository || 'CRAN');
    pins.push({ name, version, repos: url ? [url] : [] });
  }
  if (malformed.length) {
    throw optionError(
      'lockfile',
      `${file} has records without a valid package name and version: ${malformed.join(', ')}`,
    );
  }
  if (unsupported.length) {
    throw optionError(
      'lockfile',
      `${file} has packages from sources this tool cannot install: ${unsupported.join(', ')}. ` +
        'Only CRAN-like repository records (Source: Repository) are supported',
      'a lock of CRAN-like records: install those packages from a CRAN-like repository and snapshot again, ' +
        'or remove them from the lock',
    );
  }
  pins.sort((a, b) => a.name.localeCompare(b.name));
  const rVersion = typeof doc.R?.Version === 'string' ? doc.R.Version : undefined;
  return { rVersion, pins };
}

/**
 * The packages option: names, or `name@version` for an exact version; separated by commas, spaces or new lines;
 * "none" for none.
 */
export function parsePackageList(value: string): { names: string[]; pins: PackagePin[] } {
  const entries = splitList(value);
  if (entries.length === 1 && entries[0] === 'none') return { names: [], pins: [] };
  const names: string[] = [];
  const pins = new Map<string, PackagePin>();
  for (const entry of entries) {
    const [name = '', version, ...rest] = entry.split('@');
    if (!R_PACKAGE.test(name) || rest.length) {
      throw optionError('packages', `"${entry}" is not a valid R package name`);
    }
    if (version !== undefined) {
      if (!PACKAGE_VERSION.test(version)) {
        throw optionError(
          'packages',
          `"${entry}" has no valid version after @`,
          'NAME@VERSION with the version as CRAN gives it, e.g. jsonlite@1.8.4',
        );
      }
      const earlier = pins.get(name);
      if (earlier && earlier.version !== version) {
        throw optionError(
          'packages',
          `${name} is asked for at two versions, ${earlier.version} and ${version}`,
          'one version per package',
        );
      }
      pins.set(name, { name, version, repos: [] });
    }
    if (!names.includes(name)) names.push(name);
  }
  return { names, pins: [...pins.values()] };
}

/**
 * The packages of a build with a lockfile: every record of the lock; the packages option may repeat lock entries
 * (at the lock's version) but not add any, since a package outside the lock would not be reproducible.
 */
export function packagesWithLock(
  listed: { names: string[]; pins: PackagePin[] },
  lock: Lockfile,
  file: string,
): { names: string[]; pins: PackagePin[] } {
  const locked = new Map(lock.pins.map((p) => [p.name, p]));
  const outside = listed.names.filter((n) => !locked.has(n));
  if (outside.length) {
    throw optionError(
      'packages',
      `${outside.join(', ')} ${outside.length > 1 ? 'are' : 'is'} not in ${file}; with a lockfile every ` +
        'package comes from the lock',
      'only packages of the lock, or add them to the project (renv::install, then renv::snapshot)',
    );
  }
  const conflicting = listed.pins.filter((p) => locked.get(p.name)?.version !== p.version);
  if (conflicting.length) {
    throw optionError(
      'packages',
      `${conflicting.map((p) => `${p.name}@${p.version} (the lock has ${locked.get(p.name)?.version})`).join(', ')} ` +
        `${conflicting.length > 1 ? 'differ' : 'differs'} from the lock`,
      `the package without a version, or change ${file}`,
    );
  }
  return { names: lock.pins.map((p) => p.name), pins: lock.pins };
}
