/** Which R is "release": CRAN publishes it in src/base/VERSION-INFO.dcf. */
import { UserError } from '../errors.js';
import { fetchText } from '../util/fetch.js';

export const CRAN_BASE = 'https://cloud.r-project.org';

/** Pure: the `Release:` field of VERSION-INFO.dcf. */
export function parseVersionInfo(dcf: string): string | undefined {
  return /^Release:\s*(\d+\.\d+\.\d+)\s*$/m.exec(dcf)?.[1];
}

export async function resolveRelease(
  cran: string = CRAN_BASE,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  const url = `${cran.replace(/\/+$/, '')}/src/base/VERSION-INFO.dcf`;
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
