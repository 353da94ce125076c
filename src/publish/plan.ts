/**
 * What a publish run will do, computed before any API call: each layer's name (`<prefix>-<kind>-<R version>-<arch>`,
 * e.g. `r-lambda-r_lib-4_4_1-arm64`), description and license, which zips go directly and which through S3, in which
 * regions, shared with whom. Every check that can fail without AWS fails here. Pure: no I/O.
 */
import { UserError } from '../errors.js';
import { formatBytes } from '../util/format.js';
import {
  LAMBDA_LIMITS,
  LAMBDA_RUNTIME,
  LAYOUT,
  type Architecture,
  type LayerKind,
  type RPackageRecord,
} from '../layers.js';
import type { PublishInput } from './inputs.js';
import { optionLabel } from '../options/parse.js';
import { LAYER_NAME_MAX_LENGTH, REGION_PLACEHOLDER, type PublishOptions } from './options.js';
import { formatSharing, type SharingGrant } from './sharing.js';

export type UploadMethod = { method: 'direct' } | { method: 's3'; bucket: string; key: string };

export interface PlannedLayer {
  kind: LayerKind;
  layerName: string;
  /** Absolute path of the zip. */
  file: string;
  zippedBytes: number;
  sha256: string;
  upload: UploadMethod;
  description: string;
  licenseInfo: string;
  compatibleRuntimes: string[];
  compatibleArchitectures: Architecture[];
}

export interface RegionPlan {
  region: string;
  layers: PlannedLayer[];
}

export interface PublishPlan {
  manifestSha256: string;
  rVersion: string;
  architecture: Architecture;
  sharing: SharingGrant[];
  regions: RegionPlan[];
  /** Things a person should know before these layers go out, e.g. the build says they will not load on Lambda. */
  warnings: string[];
}

/** Lambda's limit on a layer version's Description. */
const DESCRIPTION_MAX_LENGTH = 256;
/** Room always left for the package list in a description, enough for "1234 packages". */
const MIN_PACKAGES_ROOM = 20;
const SHA_LABEL = 'manifest sha256:';

/**
 * An R version as it may appear in a layer name: dots (and anything else Lambda refuses, as in `4.5.0-patched` or
 * `devel (r87000)`) become `_`, so `4.4.1` reads `4_4_1`.
 */
function rVersionForName(rVersion: string): string {
  const safe = rVersion
    .trim()
    .replace(/[^A-Za-z0-9-]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return safe === '' ? 'unknown' : safe;
}

/**
 * Names for every kind, checked against Lambda's length limit here rather than by a failed API call (each part's
 * characters were checked by parsePublishOptions). Two kinds renamed to the same name would publish into one layer,
 * so that is refused too.
 */
export function layerNames(
  kinds: readonly LayerKind[],
  options: Pick<PublishOptions, 'kindNames' | 'layerPrefix'>,
  rVersion: string,
  architecture: Architecture,
): Record<LayerKind, string> {
  const names = {} as Record<LayerKind, string>;
  const seen = new Map<string, LayerKind>();
  for (const kind of kinds) {
    const name = [options.layerPrefix, options.kindNames[kind], rVersionForName(rVersion), architecture]
      .filter((part) => part !== '')
      .join('-');
    if (name.length > LAYER_NAME_MAX_LENGTH) {
      throw new UserError(
        `Layer name "${name}" for the ${kind} layer is ${name.length} characters; Lambda allows ` +
          `${LAYER_NAME_MAX_LENGTH}. Shorten layer-prefix ("${options.layerPrefix}") or the kind's name in layer-names.`,
      );
    }
    const clash = seen.get(name);
    if (clash !== undefined) {
      throw new UserError(
        `The ${clash} and ${kind} layers would both be named "${name}"; give them different names in layer-names.`,
      );
    }
    seen.set(name, kind);
    names[kind] = name;
  }
  return names;
}

/**
 * Fits as many packages as the length limit allows and counts the rest, because the sha must always fit: without it
 * a rerun cannot recognise the version.
 */
function packageList(packages: readonly RPackageRecord[], room: number): string {
  if (packages.length === 0) return 'no packages';
  const shown: string[] = [];
  for (const [i, pkg] of packages.entries()) {
    const rest = packages.length - i - 1;
    const candidate = [...shown, `${pkg.name} ${pkg.version}`].join(', ');
    if (candidate.length + (rest > 0 ? ` +${rest} more` : '').length > room) break;
    shown.push(`${pkg.name} ${pkg.version}`);
  }
  const rest = packages.length - shown.length;
  if (shown.length === 0) return `${packages.length} packages`;
  return shown.join(', ') + (rest > 0 ? ` +${rest} more` : '');
}

/**
 * A layer version's description: what it holds (R's own library, with the runtime's jsonlite, ships in the r layer,
 * the user's site-library in r_lib, subsystem holds shared libraries only) and the manifest sha, which is how a
 * rerun recognises a version it already published.
 */
export function layerDescription(
  kind: LayerKind,
  manifest: {
    rVersion: string;
    architecture: Architecture;
    compatibleRuntimes?: readonly string[];
    rPackages?: readonly RPackageRecord[];
  },
  manifestSha256: string,
): string {
  const sha = `${SHA_LABEL}${manifestSha256}`;
  const on = `${(manifest.compatibleRuntimes ?? [LAMBDA_RUNTIME]).join(', ')} ${manifest.architecture}`;
  const headline = {
    r: `R ${manifest.rVersion} for ${on}`,
    r_lib: `R ${manifest.rVersion} packages for ${on}`,
    subsystem: `System libraries and bootstrap for R ${manifest.rVersion} on ${on}`,
  }[kind];
  // Only an absurd R version string could make the headline this long; cut it so the sha and a count always fit.
  const head = headline.slice(0, DESCRIPTION_MAX_LENGTH - sha.length - 2 * '; '.length - MIN_PACKAGES_ROOM);
  if (kind === 'subsystem') return `${head}; ${sha}`;
  const library = kind === 'r' ? 'R' : 'site';
  const packages = (manifest.rPackages ?? [])
    .filter((p) => p.library === library)
    .sort((a, b) => a.name.localeCompare(b.name));
  const room = DESCRIPTION_MAX_LENGTH - head.length - sha.length - 2 * '; '.length;
  return `${head}; ${packageList(packages, room)}; ${sha}`;
}

/** The manifest sha a version's description carries, if it was published by this tool. */
export function manifestShaFromDescription(description: string | undefined): string | undefined {
  return description?.match(/manifest sha256:([0-9a-f]{64})/)?.[1];
}

/**
 * LicenseInfo per layer. Only the r layer is R itself ("GPL-2 | GPL-3" in its DESCRIPTION, in the SPDX form Lambda
 * suggests); packages and system libraries carry their own licenses, which the manifest does not record, so those
 * layers point at where the licenses are.
 */
export function layerLicense(kind: LayerKind): string {
  return {
    r: 'GPL-2.0-only OR GPL-3.0-only',
    r_lib: `Each package's own license, in its DESCRIPTION file under /opt/${LAYOUT.siteLibrary}`,
    subsystem:
      'Each bundled library under its own license (openssl, curl, bzip2, xz, pcre2, libxml2, gcc runtime)',
  }[kind];
}

/**
 * The build's own verdict travels with the layers: a manifest that says they will not load on Lambda (glibc newer
 * than provided.al2023's) is published only with a loud warning, since the user may know better.
 */
function manifestWarnings({ manifest }: PublishInput): string[] {
  if (manifest.lambdaCompatible !== false) return [];
  const glibc =
    manifest.glibcRequired === null
      ? ''
      : ` (they need glibc ${manifest.glibcRequired}; Lambda has ${LAMBDA_LIMITS.glibc})`;
  return [
    `manifest.json says these layers will not load on Lambda${glibc}; build them in amazonlinux:2023. Publishing anyway.`,
    ...(manifest.warnings ?? []),
  ];
}

export function planPublish(input: PublishInput, options: PublishOptions): PublishPlan {
  const { manifest, manifestSha256 } = input;
  const names = layerNames(
    input.layers.map((l) => l.record.name),
    options,
    manifest.rVersion,
    manifest.architecture,
  );
  const direct = LAMBDA_LIMITS.directUploadZippedBytes;
  const tooLarge = input.layers.filter((l) => l.bytes > direct);
  const limit = `${formatBytes(direct)} (${direct} bytes)`;
  const bucketInput = optionLabel('s3-bucket');
  if (tooLarge.length > 0 && options.s3Bucket === undefined) {
    const list = tooLarge.map((l) => `${l.record.file} (${l.bytes} bytes)`).join(', ');
    throw new UserError(
      `${list} ${tooLarge.length === 1 ? 'is' : 'are'} over Lambda's ${limit} limit for a direct upload. ` +
        `Give an S3 bucket in the same region with ${bucketInput} ` +
        'to publish through S3, or prune the build so each zip stays under the limit.',
    );
  }
  // Lambda reads a layer zip only from a bucket in the layer's own region; one bucket cannot serve two regions.
  if (
    tooLarge.length > 0 &&
    options.regions.length > 1 &&
    options.s3Bucket?.includes(REGION_PLACEHOLDER) === false
  ) {
    throw new UserError(
      `Publishing a zip over ${limit} to ${options.regions.join(', ')} needs a bucket in each region, because ` +
        `Lambda reads layer zips only from its own region. Put ${REGION_PLACEHOLDER} in ${bucketInput}, ` +
        `e.g. ${options.s3Bucket}-${REGION_PLACEHOLDER}, and create one bucket per region.`,
    );
  }

  const regions = options.regions.map((region) => ({
    region,
    layers: input.layers.map(({ record, path, bytes }): PlannedLayer => {
      const layerName = names[record.name];
      // The key names the build (manifest sha), so a rerun of the same build overwrites its own object and a
      // different build never replaces the zip an earlier layer version was published from.
      const upload: UploadMethod =
        bytes > direct && options.s3Bucket !== undefined
          ? {
              method: 's3',
              bucket: options.s3Bucket.split(REGION_PLACEHOLDER).join(region),
              key: `${options.s3Prefix}${layerName}/${manifestSha256}/${record.file}`,
            }
          : { method: 'direct' };
      return {
        kind: record.name,
        layerName,
        file: path,
        zippedBytes: bytes,
        sha256: record.sha256,
        upload,
        description: layerDescription(record.name, manifest, manifestSha256),
        licenseInfo: layerLicense(record.name),
        // The runtimes the build recorded: the one the bootstrap in the subsystem layer is built for.
        compatibleRuntimes: manifest.compatibleRuntimes,
        compatibleArchitectures: [manifest.architecture],
      };
    }),
  }));
  return {
    manifestSha256,
    rVersion: manifest.rVersion,
    architecture: manifest.architecture,
    sharing: options.sharing,
    regions,
    warnings: manifestWarnings(input),
  };
}

/** The plan as lines a person reads, logged before anything is published (and all a dry run does). */
export function formatPlan(plan: PublishPlan): string[] {
  const lines = [
    `R ${plan.rVersion} (${plan.architecture}), manifest sha256 ${plan.manifestSha256}`,
    `regions: ${plan.regions.map((r) => r.region).join(', ')}; sharing: ${formatSharing(plan.sharing)}`,
  ];
  for (const { region, layers } of plan.regions) {
    for (const layer of layers) {
      const how =
        layer.upload.method === 'direct'
          ? 'direct upload'
          : `via s3://${layer.upload.bucket}/${layer.upload.key}`;
      lines.push(`  ${region}  ${layer.layerName}  ${formatBytes(layer.zippedBytes)}  ${how}`);
    }
  }
  return lines;
}
