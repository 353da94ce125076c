/**
 * R's releases as CRAN lists them: the directory index of src/base/R-4/ (an Apache "fancy" index), one
 * `R-x.y.z.tar.gz` per release. Parsing is pure; fetching is one GET.
 */
import semver from 'semver';
import { UserError } from '../errors.js';
import { fetchText } from '../util/fetch.js';

export const CRAN_R_SOURCES = 'https://cloud.r-project.org/src/base/R-4/';

export interface RRelease {
  version: string;
  /** The index's modification date (YYYY-MM-DD) when the listing shows one. */
  date?: string;
}

const ENTRY = /<a href="R-(\d+\.\d+\.\d+)\.tar\.gz">[^<]*<\/a>\s*(\d{4}-\d{2}-\d{2})?/g;

/** Releases in a directory index, oldest first. Other files (R-latest.tar.gz, .asc, patches) are ignored. */
export function parseCranListing(html: string): RRelease[] {
  const found = new Map<string, RRelease>();
  for (const match of html.matchAll(ENTRY)) {
    const version = match[1] ?? '';
    if (!semver.valid(version)) continue;
    found.set(version, match[2] ? { version, date: match[2] } : { version });
  }
  return [...found.values()].sort((a, b) => semver.compare(a.version, b.version));
}

export async function fetchCranReleases(
  url: string = CRAN_R_SOURCES,
  fetchImpl: typeof fetch = fetch,
): Promise<RRelease[]> {
  let html: string;
  try {
    html = await fetchText(url, 30_000, fetchImpl);
  } catch (error) {
    throw new UserError(`Cannot read CRAN's list of R releases at ${url}: ${(error as Error).message}.`, {
      cause: error,
    });
  }
  const releases = parseCranListing(html);
  if (releases.length === 0) {
    throw new UserError(
      `${url} lists no R-x.y.z.tar.gz: CRAN's page layout may have changed; nothing to compare.`,
    );
  }
  return releases;
}
