/**
 * What a layer version says about itself: the description (R version, packages, manifest sha) and the license.
 * The manifest sha in the description is also how a rerun recognises a version it already published.
 * Pure: no I/O.
 */
import type { Architecture, LayerName, RPackageRecord } from '../pipeline/types.js';

/** Lambda's limit on a layer version's Description. */
export const DESCRIPTION_MAX_LENGTH = 256;
/** Lambda's limit on LicenseInfo. */
export const LICENSE_INFO_MAX_LENGTH = 512;

/** R itself is "GPL-2 | GPL-3" (its DESCRIPTION); this is the SPDX form Lambda suggests. */
export const R_LICENSE = 'GPL-2.0-only OR GPL-3.0-only';

const SHA_LABEL = 'manifest sha256:';
const SHA_IN_DESCRIPTION = /manifest sha256:([0-9a-f]{64})/;

export interface DescriptionInput {
  kind: LayerName;
  rVersion: string;
  architecture: Architecture;
  rPackages: readonly RPackageRecord[];
  manifestSha256: string;
}

/**
 * Which packages a layer holds: R's own library (jsonlite for the runtime) ships in the r layer,
 * the user's site-library in r_lib; subsystem holds shared libraries only.
 */
function packagesOf(kind: LayerName, rPackages: readonly RPackageRecord[]): RPackageRecord[] | undefined {
  if (kind === 'subsystem') return undefined;
  const library = kind === 'r' ? 'R' : 'site';
  return rPackages
    .filter((p) => p.library === library)
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name));
}

function headline(kind: LayerName, rVersion: string, architecture: Architecture): string {
  switch (kind) {
    case 'r':
      return `R ${rVersion} for provided.al2023 ${architecture}`;
    case 'r_lib':
      return `R ${rVersion} packages for provided.al2023 ${architecture}`;
    case 'subsystem':
      return `System libraries and bootstrap for R ${rVersion} on provided.al2023 ${architecture}`;
  }
}

/**
 * Fits as many packages as the length limit allows and counts the rest, because the sha must always fit:
 * without it a rerun cannot recognise the version.
 */
function packageList(packages: readonly RPackageRecord[], room: number): string {
  if (packages.length === 0) return 'no packages';
  const shown: string[] = [];
  for (let i = 0; i < packages.length; i++) {
    const pkg = packages[i]!;
    const candidate = [...shown, `${pkg.name} ${pkg.version}`].join(', ');
    const rest = packages.length - i - 1;
    const tail = rest > 0 ? ` +${rest} more` : '';
    if (candidate.length + tail.length > room) break;
    shown.push(`${pkg.name} ${pkg.version}`);
  }
  const rest = packages.length - shown.length;
  if (shown.length === 0) return `${packages.length} packages`;
  return shown.join(', ') + (rest > 0 ? ` +${rest} more` : '');
}

/** Room always left for the package list, enough for "1234 packages". */
const MIN_PACKAGES_ROOM = 20;

export function layerDescription(input: DescriptionInput): string {
  const sha = `${SHA_LABEL}${input.manifestSha256}`;
  // Only an absurd R version string could make the headline this long; cut it so the sha (which reruns
  // need) and a package count always fit.
  const head = headline(input.kind, input.rVersion, input.architecture).slice(
    0,
    DESCRIPTION_MAX_LENGTH - sha.length - 2 * '; '.length - MIN_PACKAGES_ROOM,
  );
  const packages = packagesOf(input.kind, input.rPackages);
  if (packages === undefined) return `${head}; ${sha}`;
  const room = DESCRIPTION_MAX_LENGTH - head.length - sha.length - 2 * '; '.length;
  return `${head}; ${packageList(packages, room)}; ${sha}`;
}

/** The manifest sha a version's description carries, if it was published by this tool. */
export function manifestShaFromDescription(description: string | undefined): string | undefined {
  return description?.match(SHA_IN_DESCRIPTION)?.[1];
}

/**
 * LicenseInfo per layer. Only the r layer is R itself; packages and system libraries carry their own
 * licenses, which the manifest does not record, so those layers point at where the licenses are.
 */
export function layerLicense(kind: LayerName): string {
  switch (kind) {
    case 'r':
      return R_LICENSE;
    case 'r_lib':
      return "Each package's own license, in its DESCRIPTION file under /opt/local/lib/R/site-library";
    case 'subsystem':
      return 'Each bundled library under its own license (openssl, curl, bzip2, xz, pcre2, libxml2, gcc runtime)';
  }
}
