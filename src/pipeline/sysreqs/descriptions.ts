/**
 * The SystemRequirements of every package the site-library stage will install: the user's packages (or the lock's)
 * and, recursively, their Depends, Imports and LinkingTo. CRAN's PACKAGES index does not carry SystemRequirements, so
 * each package's own DESCRIPTION is read from its source tarball (the same file install.packages() will install),
 * and kept in a small cache by name, version and URL so a rebuild reads nothing again.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log.js';
import { run } from '../../util/exec.js';
import { downloadFile } from '../../util/fetch.js';
import { sha256 } from '../../util/hash.js';
import { parsePackagesIndex, type IndexEntry, type Repository } from '../plan/cran-index.js';
import type { PackagePin } from '../plan/lockfile.js';
import type { PackageRequirement } from './resolve.js';

/** Pure: where a package's source tarball may be, in the order install-packages.R looks. */
export function tarballUrls(name: string, version: string, repos: readonly string[]): string[] {
  const file = `${name}_${version}.tar.gz`;
  return [...new Set(repos)].flatMap((r) => [
    `${r}/src/contrib/${file}`,
    `${r}/src/contrib/Archive/${name}/${file}`,
  ]);
}

/** One package's DESCRIPTION, from the cache or its tarball; undefined when no URL has the tarball. */
async function descriptionOf(
  name: string,
  urls: readonly string[],
  cacheDir: string,
): Promise<{ text: string; url: string } | undefined> {
  for (const url of urls) {
    const cached = path.join(
      cacheDir,
      `${path.basename(url, '.tar.gz')}-${sha256(url).slice(0, 12)}.DESCRIPTION`,
    );
    const hit = await readFile(cached, 'utf8').catch(() => undefined);
    if (hit !== undefined) return { text: hit, url };
    let tarball: string;
    let scratch: string | undefined;
    if (url.startsWith('file://')) {
      tarball = fileURLToPath(url);
    } else {
      scratch = await mkdtemp(path.join(os.tmpdir(), 'r-lambda-layer-description-'));
      tarball = path.join(scratch, 'package.tar.gz');
      const got = await downloadFile(url, tarball).then(
        () => true,
        () => false,
      );
      if (!got) {
        await rm(scratch, { recursive: true, force: true });
        continue;
      }
    }
    try {
      const result = await run('tar', ['-xzOf', tarball, `${name}/DESCRIPTION`]);
      if (result.code !== 0) continue;
      await mkdir(cacheDir, { recursive: true });
      await writeFile(cached, result.stdout);
      return { text: result.stdout, url };
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  }
  return undefined;
}

export interface ClosureInputs {
  packages: readonly string[];
  pins: readonly PackagePin[];
  /** With a lockfile: every package comes from the pins (the repository's index is not used). */
  locked: boolean;
  repository: Repository;
  /** R is built with its recommended packages (recommended-packages); without them the install brings them from it. */
  recommendedInR: boolean;
  /** Where extracted DESCRIPTION files are kept between builds. */
  cacheDir: string;
  log: Logger;
}

/**
 * Every package the stage will install, with its SystemRequirements (empty when it has none). Base packages are
 * skipped (R's own library has them), and so are recommended ones when R is built with them; so are names the
 * repository does not have (the install reports those, naming them).
 */
export async function requirementsToInstall(inputs: ClosureInputs): Promise<PackageRequirement[]> {
  const { repository, pins, log } = inputs;
  let index = new Map<string, IndexEntry>();
  if (!inputs.locked) {
    try {
      index = await repository.index();
    } catch (error) {
      // The install reads the same index and reports it in its own words; here only the requirements go unread.
      log.warn(
        `cannot read the repository's index ${repository.indexUrl} (${(error as Error).message}); the packages' system requirements are not resolved`,
      );
      return [];
    }
  }
  const pinOf = new Map(pins.map((p) => [p.name, p]));
  // What R's own library holds, by the index's Priority field: those are never installed into the site library.
  const inR = inputs.recommendedInR ? /^(base|recommended)$/ : /^base$/;
  const found: PackageRequirement[] = [];
  const seen = new Set<string>();
  const queue = [...inputs.packages];
  while (queue.length) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const pin = pinOf.get(name);
    const entry = index.get(name);
    const version = pin?.version ?? entry?.version;
    // Not in the repository and not pinned: a base package (stats, utils, …) or a name the install will report.
    if (!version || (!pin && entry?.priority && inR.test(entry.priority))) continue;
    const description = await descriptionOf(
      name,
      tarballUrls(name, version, [repository.url, ...(pin?.repos ?? [])]),
      inputs.cacheDir,
    );
    if (!description) {
      // The install says which version cannot be had, with every URL it tried; here the package is only unread.
      log.debug(`system requirements: no tarball of ${name} ${version} found; its requirements are not read`);
      continue;
    }
    const own = parsePackagesIndex(description.text).get(name);
    found.push({ package: name, version, text: own?.systemRequirements ?? '' });
    for (const dep of own?.deps ?? entry?.deps ?? []) if (!seen.has(dep)) queue.push(dep);
  }
  return found.sort((a, b) => a.package.localeCompare(b.package));
}
