/** Which R is "release": CRAN publishes it in src/base/VERSION-INFO.dcf. */
import { UserError } from '../../errors.js';
import { fetchText } from '../../util/fetch.js';

export const CRAN_BASE = 'https://cloud.r-project.org';

/** Pure: the `Release:` field of VERSION-INFO.dcf. */
export function parseVersionInfo(dcf: string): string | undefined {
  return /^Release:\s*(\d+\.\d+\.\d+)\s*$/m.exec(dcf)?.[1];
}

const versionInfoUrl = (cran: string): string => `${cran.replace(/\/+$/, '')}/src/base/VERSION-INFO.dcf`;

export async function resolveRelease(
  cran: string = CRAN_BASE,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  const url = versionInfoUrl(cran);
  let text: string;
  try {
    text = await fetchText(url, 20_000, fetchImpl);
  } catch (error) {
    throw new UserError(
      `r-version "release": cannot ask CRAN which R is current (${url}: ${(error as Error).message}). ` +
        `Offline? Pass an exact version instead, e.g. --r-version 4.5.2.`,
      { cause: error },
    );
  }
  const version = parseVersionInfo(text);
  if (!version)
    throw new UserError(`r-version "release": ${url} has no Release: line; pass an exact version instead.`);
  return version;
}

/**
 * "release" as the build's repository (--cran-repo) says, so a CRAN mirror or an air-gapped copy of CRAN is asked
 * first. A repository without R's version file (a package-only repository such as a Posit Package Manager snapshot
 * or a local mirror of src/contrib) cannot answer: then CRAN itself is asked, and `log` says so.
 */
export async function resolveReleaseFrom(
  repo: string,
  log: (message: string) => void,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  if (repo.replace(/\/+$/, '') === CRAN_BASE) return resolveRelease(CRAN_BASE, fetchImpl);
  let problem: string;
  try {
    const version = parseVersionInfo(await fetchText(versionInfoUrl(repo), 20_000, fetchImpl));
    if (version) return version;
    problem = 'has no Release: line';
  } catch (error) {
    problem = `cannot be read: ${(error as Error).message}`;
  }
  log(
    `r-version "release": ${versionInfoUrl(repo)} ${problem}; asking CRAN (${CRAN_BASE}) which R is current`,
  );
  return resolveRelease(CRAN_BASE, fetchImpl);
}
