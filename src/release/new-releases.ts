/** Which R versions to build: CRAN's releases that are not built yet, or the ones a person forces. Pure. */
import semver from 'semver';
import { UserError } from '../errors.js';
import { sortVersions } from './versions-file.js';

export interface NewReleasesInput {
  /** Every release CRAN lists. */
  releases: string[];
  /** Versions already built. */
  built: string[];
  /** Ignore releases older than this. */
  minimumVersion?: string;
  /** Build exactly these (even if built before); each must be a CRAN release. */
  force?: string[];
}

export function newReleases(input: NewReleasesInput): string[] {
  const releases = new Set(input.releases);
  if (input.force && input.force.length > 0) {
    for (const version of input.force) {
      if (!releases.has(version)) {
        throw new UserError(
          `force-version: R ${version} is not among CRAN's releases (newest: ${sortVersions(releases).at(-1) ?? 'none'}); give a released version such as 4.5.2.`,
        );
      }
    }
    return sortVersions(input.force);
  }
  const built = new Set(input.built);
  const minimum = input.minimumVersion;
  return sortVersions(
    [...releases].filter((v) => !built.has(v) && (minimum === undefined || semver.gte(v, minimum))),
  );
}
