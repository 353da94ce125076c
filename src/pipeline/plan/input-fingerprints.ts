/**
 * What the stage plan hashes besides the recipe and the options: the repository's versions of each packages stage's
 * packages, the installer script, and the project's own package folders. Read from the network and the disk here,
 * so the planner (plan.ts) stays a pure function of its inputs.
 */
import type { Logger } from '../../log.js';
import { dataFile } from '../../paths.js';
import { sha256, sha256File, sha256Tree } from '../../util/hash.js';
import { versionsWithDependencies, type IndexEntry, type Repository } from './cran-index.js';
import type { BuildOptions } from './options.js';
import type { PlanInputs } from './plan.js';
import type { Recipe } from './recipe.js';

export type InputFingerprints = Required<
  Pick<PlanInputs, 'repoFingerprints' | 'installerSha256' | 'localPackageSums'>
>;

/** Every fingerprint the plan takes. */
export async function fingerprintInputs(
  recipe: Recipe,
  options: BuildOptions,
  repository: Repository,
  log: Logger,
): Promise<InputFingerprints> {
  const repoFingerprints = await fingerprintPackages(recipe, options, repository, log);
  const installerSha256 = await sha256File(dataFile('install-packages.R'));
  const localPackageSums: Record<string, string> = {};
  for (const stage of recipe.stages) {
    if (stage.kind !== 'r-packages') continue;
    for (const folder of stage.localPackages)
      localPackageSums[folder] = await sha256Tree(dataFile(folder), isPackageSource);
  }
  return { repoFingerprints, installerSha256, localPackageSums };
}

/**
 * A package folder's own files, not what an in-place `R CMD INSTALL` leaves beside them (objects, the shared object):
 * those are never built into the layer (the build installs a copy with --preclean) and must not change its key.
 */
export const isPackageSource = (file: string): boolean => !/\.(o|so|dll)$|(^|\/)symbols\.rds$/.test(file);

/**
 * Per R-packages stage, the versions the repository offers for its packages and all their dependencies. A new
 * release of any of them changes the stage's key; CRAN's many other daily updates do not. Unreachable repository:
 * no fingerprint (the stage is cached by package names), and the install itself will report the problem.
 */
export async function fingerprintPackages(
  recipe: Recipe,
  options: BuildOptions,
  repository: Repository,
  log: Logger,
): Promise<Record<string, string>> {
  let available: Map<string, IndexEntry>;
  try {
    available = await repository.index();
  } catch (error) {
    log.debug(
      `cannot read ${repository.indexUrl} (${(error as Error).message}); packages are cached by name only`,
    );
    return {};
  }
  const fingerprints: Record<string, string> = {};
  for (const stage of recipe.stages) {
    if (stage.kind !== 'r-packages') continue;
    const wanted = stage.library === 'site' ? options.packages : stage.packages;
    fingerprints[stage.name] = sha256(versionsWithDependencies(wanted, available).join('\n')).slice(0, 16);
  }
  return fingerprints;
}
