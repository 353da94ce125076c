/**
 * Publishing as one call for both fronts: read the output folder and plan everything first (no API call), then per
 * region reuse or publish each layer and apply the sharing grants. A dry run stops after the plan.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { sha256 } from '../util/hash.js';
import type { LayerKind } from '../layers.js';
import { loadPublishInput } from './inputs.js';
import type { PublishOptions } from './options.js';
import {
  formatPlan,
  manifestShaFromDescription,
  planPublish,
  type PlannedLayer,
  type PublishPlan,
} from './plan.js';
import {
  awsPublisherFactory,
  type LayerContent,
  type LayerVersion,
  type LayerPublisher,
  type PublisherFactory,
} from './publisher.js';
import { describeGrant } from './sharing.js';

/** reused: an earlier run already published this build and that version was kept. */
export type PublishedLayer = LayerVersion & { reused: boolean };

/** region → layer kind → what was published there. */
export type PublishResult = Record<string, Partial<Record<LayerKind, PublishedLayer>>>;

export interface PublishDeps {
  log: Logger;
  /** Builds the publisher for a region; the AWS SDK one by default. */
  clientFactory?: PublisherFactory;
}

async function publishOne(
  publisher: LayerPublisher,
  layer: PlannedLayer,
  manifestSha256: string,
  log: Logger,
): Promise<PublishedLayer> {
  const where = `${layer.layerName} in ${publisher.region}`;
  const latest = await publisher.latestVersion(layer.layerName);
  if (latest !== undefined && manifestShaFromDescription(latest.description) === manifestSha256) {
    // The description is written before Lambda has the bytes: a version whose upload went wrong carries this
    // build's sha too. Reuse it only when what Lambda stored is the zip (the manifest's sha256, checked against
    // the file when the folder was read).
    const zipSha = Buffer.from(layer.sha256, 'hex').toString('base64');
    const storedSha = await publisher.storedCodeSha256(layer.layerName, latest.version);
    if (storedSha === undefined || storedSha === zipSha) {
      const unchecked = storedSha === undefined ? '; Lambda reported no CodeSha256 to check it against' : '';
      log.info(
        `reusing ${latest.arn}: version ${latest.version} already holds this build (manifest ${manifestSha256.slice(0, 12)})${unchecked}`,
      );
      return { arn: latest.arn, version: latest.version, layerArn: latest.layerArn, reused: true };
    }
    log.warn(
      `${where}: version ${latest.version} is labelled with this build (manifest ${manifestSha256.slice(0, 12)}) but ` +
        `Lambda stored other bytes (CodeSha256 ${storedSha}, the zip has ${zipSha}), as after a corrupted upload. ` +
        'Publishing a new version instead of reusing it.',
    );
  }

  let content: LayerContent;
  let expectedSha: string;
  if (layer.upload.method === 's3') {
    log.info(`uploading ${layer.file} to s3://${layer.upload.bucket}/${layer.upload.key}`);
    await publisher.uploadToS3(layer.upload.bucket, layer.upload.key, layer.file);
    content = { s3Bucket: layer.upload.bucket, s3Key: layer.upload.key };
    expectedSha = Buffer.from(layer.sha256, 'hex').toString('base64');
  } else {
    const zipFile = await readFile(layer.file);
    content = { zipFile };
    // Hash what is sent, not what was checked earlier: the file could have changed in between.
    expectedSha = sha256(zipFile, 'base64');
  }
  const published = await publisher.publish(layer, content);
  // Lambda reports the hash of what it stored; a mismatch means the zip changed or was corrupted on the way.
  if (published.codeSha256 !== undefined && published.codeSha256 !== expectedSha) {
    throw new UserError(
      `${where}: Lambda stored version ${published.version} with CodeSha256 ${published.codeSha256}, but the zip ` +
        `has ${expectedSha}. Rerun: a rerun checks the content and publishes a new version rather than reuse this ` +
        `one. To delete it: aws lambda delete-layer-version --layer-name ${layer.layerName} ` +
        `--version-number ${published.version} --region ${publisher.region}`,
    );
  }
  log.info(`published ${published.arn}`);
  return { arn: published.arn, version: published.version, layerArn: published.layerArn, reused: false };
}

/**
 * Publishes the layers in options.outDir to every region in options.regions and returns the plan with what was
 * published; a dry run logs the plan, makes no API call and publishes nothing.
 */
export async function publishLayers(
  options: PublishOptions,
  deps: PublishDeps,
): Promise<{ plan: PublishPlan; published: PublishResult }> {
  const { log } = deps;
  const factory = deps.clientFactory ?? awsPublisherFactory;
  const plan = planPublish(await loadPublishInput(options.outDir), options);
  await log.group(
    options.dryRun ? 'Publish plan (dry run: nothing is published)' : 'Publish plan',
    async () => {
      for (const line of formatPlan(plan)) log.info(line);
      for (const warning of plan.warnings) log.warn(warning);
    },
  );
  const published: PublishResult = {};
  for (const regionPlan of options.dryRun ? [] : plan.regions) {
    const publisher = factory(regionPlan.region, log);
    try {
      published[regionPlan.region] = await log.group(`Publish to ${regionPlan.region}`, async () => {
        const layers: Partial<Record<LayerKind, PublishedLayer>> = {};
        for (const layer of regionPlan.layers) {
          const layerVersion = await publishOne(publisher, layer, plan.manifestSha256, log);
          // Grants go on reused versions too: the sharing may have changed since they were published.
          for (const grant of plan.sharing) {
            const outcome = await publisher.grant(layer.layerName, layerVersion.version, grant);
            const verb = outcome === 'added' ? 'shared' : 'already shared';
            log.info(`${verb} ${layer.layerName}:${layerVersion.version} with ${describeGrant(grant)}`);
          }
          layers[layer.kind] = layerVersion;
        }
        return layers;
      });
    } finally {
      publisher.close?.();
    }
  }
  return { plan, published };
}
