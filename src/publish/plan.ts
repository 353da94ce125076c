/**
 * What a publish run will do, computed before any API call: layer names, descriptions, which zips go directly
 * and which through S3, in which regions, shared with whom. Every check that can fail without AWS fails here.
 * Pure: no I/O.
 */
import { UserError } from '../errors.js';
import { LAMBDA_LIMITS, type Architecture, type LayerName } from '../pipeline/types.js';
import { layerDescription, layerLicense } from './description.js';
import type { PublishInput } from './inputs.js';
import { layerNamesFor } from './layer-names.js';
import { PUBLISH_INPUTS, REGION_PLACEHOLDER, type PublishOptions } from './options.js';
import { formatSharing, type SharingGrant } from './sharing.js';

/** The runtime the bootstrap in the subsystem layer is built for. */
export const COMPATIBLE_RUNTIMES = ['provided.al2023'];

export type UploadMethod = { method: 'direct' } | { method: 's3'; bucket: string; key: string };

export interface PlannedLayer {
  kind: LayerName;
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

export function bucketForRegion(bucket: string, region: string): string {
  return bucket.split(REGION_PLACEHOLDER).join(region);
}

/**
 * The S3 key names the build (manifest sha), so a rerun of the same build overwrites its own object and a
 * different build never replaces the zip an earlier layer version was published from.
 */
export function s3KeyFor(s3Prefix: string, layerName: string, manifestSha256: string, file: string): string {
  return `${s3Prefix}${layerName}/${manifestSha256}/${file}`;
}

export function humanBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The build's own verdict travels with the layers: a manifest that says they will not load on Lambda (glibc
 * newer than provided.al2023's) is published only with a loud warning, since the user may know better.
 */
function manifestWarnings(input: PublishInput): string[] {
  const { manifest } = input;
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
  const kinds = input.layers.map((l) => l.record.name);
  const names = layerNamesFor(
    kinds,
    options.kindNames,
    options.layerPrefix,
    manifest.rVersion,
    manifest.architecture,
  );

  const tooLarge = input.layers.filter((l) => l.bytes > LAMBDA_LIMITS.directUploadZippedBytes);
  const limit = `${humanBytes(LAMBDA_LIMITS.directUploadZippedBytes)} (${LAMBDA_LIMITS.directUploadZippedBytes} bytes)`;
  if (tooLarge.length > 0 && options.s3Bucket === undefined) {
    const list = tooLarge.map((l) => `${l.record.file} (${l.bytes} bytes)`).join(', ');
    throw new UserError(
      `${list} ${tooLarge.length === 1 ? 'is' : 'are'} over Lambda's ${limit} limit for a direct upload. ` +
        `Give an S3 bucket in the same region with "${PUBLISH_INPUTS.s3Bucket}" (--${PUBLISH_INPUTS.s3Bucket}) ` +
        'to publish through S3, or prune the build so each zip stays under the limit.',
    );
  }
  // Lambda reads a layer zip only from a bucket in the layer's own region; one bucket cannot serve two regions.
  if (
    tooLarge.length > 0 &&
    options.regions.length > 1 &&
    options.s3Bucket !== undefined &&
    !options.s3Bucket.includes(REGION_PLACEHOLDER)
  ) {
    throw new UserError(
      `Publishing a zip over ${limit} to ${options.regions.join(', ')} needs a bucket in each region, because ` +
        `Lambda reads layer zips only from its own region. Put ${REGION_PLACEHOLDER} in "${PUBLISH_INPUTS.s3Bucket}", ` +
        `e.g. ${options.s3Bucket}-${REGION_PLACEHOLDER}, and create one bucket per region.`,
    );
  }

  const regions = options.regions.map((region) => ({
    region,
    layers: input.layers.map((layer): PlannedLayer => {
      const kind = layer.record.name;
      const layerName = names[kind];
      const upload: UploadMethod =
        layer.bytes > LAMBDA_LIMITS.directUploadZippedBytes && options.s3Bucket !== undefined
          ? {
              method: 's3',
              bucket: bucketForRegion(options.s3Bucket, region),
              key: s3KeyFor(options.s3Prefix, layerName, manifestSha256, layer.record.file),
            }
          : { method: 'direct' };
      return {
        kind,
        layerName,
        file: layer.path,
        zippedBytes: layer.bytes,
        sha256: layer.record.sha256,
        upload,
        description: layerDescription({
          kind,
          rVersion: manifest.rVersion,
          architecture: manifest.architecture,
          rPackages: manifest.rPackages ?? [],
          manifestSha256,
        }),
        licenseInfo: layerLicense(kind),
        compatibleRuntimes: [...COMPATIBLE_RUNTIMES],
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

/** The plan as lines a person reads: what a dry run prints, and what a real run announces first. */
export function formatPlan(plan: PublishPlan): string[] {
  const lines = [
    `R ${plan.rVersion} (${plan.architecture}), manifest sha256 ${plan.manifestSha256}`,
    `regions: ${plan.regions.map((r) => r.region).join(', ')}; sharing: ${formatSharing(plan.sharing)}`,
  ];
  for (const region of plan.regions) {
    for (const layer of region.layers) {
      const how =
        layer.upload.method === 'direct'
          ? 'direct upload'
          : `via s3://${layer.upload.bucket}/${layer.upload.key}`;
      lines.push(`  ${region.region}  ${layer.layerName}  ${humanBytes(layer.zippedBytes)}  ${how}`);
    }
  }
  return lines;
}
