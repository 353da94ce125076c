/**
 * The side-effecting part of publishing, behind a small interface, and its AWS SDK implementation (tested against
 * the local fake in test/support/fake-aws.ts).
 *
 * Credentials, region endpoints and endpoint overrides (AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_S3,
 * profiles, OIDC web identity) all come from the SDK's standard chain; nothing here reads or logs them.
 */
import { createReadStream } from 'node:fs';
import {
  AddLayerVersionPermissionCommand,
  GetLayerVersionCommand,
  GetLayerVersionPolicyCommand,
  LambdaClient,
  ListLayerVersionsCommand,
  PublishLayerVersionCommand,
  type ListLayerVersionsCommandOutput,
  type Architecture as LambdaArchitecture,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UserError } from '../errors.js';
import type { Logger } from '../log.js';
import { explainAwsError, IAM_ACTIONS, type AwsCallContext } from './aws-errors.js';
import type { PlannedLayer } from './plan.js';
import { describeGrant, layerPermission, policyGrants, type SharingGrant } from './sharing.js';

export interface LayerVersion {
  /** The layer version ARN, what a function's Layers setting takes. */
  arn: string;
  version: number;
  /** The layer ARN without the version. */
  layerArn: string;
}

/** The newest version of a layer as ListLayerVersions reports it. */
export type ExistingLayerVersion = LayerVersion & { description: string };

/** Base64 SHA-256 of the zip as Lambda received it, when Lambda reports it. */
export type PublishedVersion = LayerVersion & { codeSha256: string | undefined };

export type LayerContent = { zipFile: Uint8Array } | { s3Bucket: string; s3Key: string };

/** 'added': a new statement; 'present': a rerun found the same statement already there. */
export type GrantOutcome = 'added' | 'present';

export interface LayerPublisher {
  readonly region: string;
  /** The highest version of the layer, or undefined when it has none (or does not exist yet). */
  latestVersion(layerName: string): Promise<ExistingLayerVersion | undefined>;
  /** Uploads a zip to S3 (multipart for big files) in this publisher's region. */
  uploadToS3(bucket: string, key: string, file: string): Promise<void>;
  /**
   * Base64 SHA-256 of what Lambda stored for a version (GetLayerVersion's Content.CodeSha256), undefined when
   * Lambda does not report it. A rerun checks it before reusing a version.
   */
  storedCodeSha256(layerName: string, version: number): Promise<string | undefined>;
  publish(layer: PlannedLayer, content: LayerContent): Promise<PublishedVersion>;
  grant(layerName: string, version: number, grant: SharingGrant): Promise<GrantOutcome>;
  /** Releases connections once the region is done. */
  close?(): void;
}

export type PublisherFactory = (region: string, log: Logger) => LayerPublisher;

/** 8 MiB: above S3's 5 MiB minimum, and a 250 MB zip stays far below the 10,000-part maximum. */
const PART_SIZE = 8 * 1024 * 1024;

/**
 * Local S3 endpoints (MinIO, LocalStack, test servers) have no per-bucket DNS names, so an endpoint override
 * means path-style URLs. The override itself is applied by the SDK; this only reads whether there is one.
 */
export function hasS3EndpointOverride(env: NodeJS.ProcessEnv): boolean {
  if (/^true$/i.test(env['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS'] ?? '')) return false;
  return Boolean(env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL']);
}

function layerArnOf(versionArn: string): string {
  return versionArn.replace(/:\d+$/, '');
}

export class AwsLayerPublisher implements LayerPublisher {
  private readonly lambda: LambdaClient;
  private readonly s3: S3Client;

  /** maxAttempts: SDK attempts per call, throttling included (standard retry mode). */
  constructor(
    readonly region: string,
    private readonly log: Logger,
    maxAttempts = 6,
  ) {
    // The SDK prints a multi-line banner about its future Node.js versions into the user's output on Node 20 (which
    // this tool supports, see package.json engines); a user who wants it back sets the variable to false.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.lambda = new LambdaClient({ region, maxAttempts, retryMode: 'standard' });
    this.s3 = new S3Client({
      region,
      maxAttempts,
      retryMode: 'standard',
      forcePathStyle: hasS3EndpointOverride(process.env),
    });
  }

  close(): void {
    this.lambda.destroy();
    this.s3.destroy();
  }

  /**
   * Runs one AWS call and turns its failure into a message that names the IAM action and region; an error named in
   * `expected` (say, a layer that does not exist yet) is an answer, not a failure.
   */
  private async call<T>(
    context: Omit<AwsCallContext, 'region'>,
    run: () => Promise<T>,
    expected: Record<string, T> = {},
  ): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (Object.hasOwn(expected, name)) return expected[name]!;
      throw explainAwsError(error, { ...context, region: this.region });
    }
  }

  async latestVersion(layerName: string): Promise<ExistingLayerVersion | undefined> {
    let latest: ExistingLayerVersion | undefined;
    let marker: string | undefined;
    // Lambda lists newest first today, but does not promise it; take the highest number over all pages.
    do {
      const page = await this.call(
        { action: IAM_ACTIONS.listLayerVersions, resource: `layer ${layerName}` },
        () =>
          this.lambda.send(
            new ListLayerVersionsCommand({ LayerName: layerName, Marker: marker, MaxItems: 50 }),
          ),
        // A layer that was never published is simply empty.
        { ResourceNotFoundException: {} as ListLayerVersionsCommandOutput },
      );
      for (const v of page.LayerVersions ?? []) {
        if (v.Version === undefined || v.LayerVersionArn === undefined) continue;
        if (latest === undefined || v.Version > latest.version) {
          latest = {
            version: v.Version,
            arn: v.LayerVersionArn,
            layerArn: layerArnOf(v.LayerVersionArn),
            description: v.Description ?? '',
          };
        }
      }
      marker = page.NextMarker;
    } while (marker !== undefined && marker !== '');
    return latest;
  }

  async uploadToS3(bucket: string, key: string, file: string): Promise<void> {
    await this.call({ action: IAM_ACTIONS.putObject, resource: `s3://${bucket}/${key}` }, async () => {
      const upload = new Upload({
        client: this.s3,
        params: { Bucket: bucket, Key: key, Body: createReadStream(file), ContentType: 'application/zip' },
        partSize: PART_SIZE,
        queueSize: 4,
        // Abort on failure so no orphaned parts keep costing storage.
        leavePartsOnError: false,
      });
      upload.on('httpUploadProgress', (p) => {
        if (p.part !== undefined)
          this.log.debug(`s3://${bucket}/${key}: part ${p.part}, ${p.loaded ?? 0} bytes sent`);
      });
      await upload.done();
    });
  }

  async storedCodeSha256(layerName: string, version: number): Promise<string | undefined> {
    const response = await this.call(
      { action: IAM_ACTIONS.getLayerVersion, resource: `layer ${layerName} version ${version}` },
      () => this.lambda.send(new GetLayerVersionCommand({ LayerName: layerName, VersionNumber: version })),
    );
    return response.Content?.CodeSha256;
  }

  async publish(layer: PlannedLayer, content: LayerContent): Promise<PublishedVersion> {
    const fromS3 = 'zipFile' in content ? undefined : content;
    const resource =
      fromS3 === undefined
        ? `layer ${layer.layerName}`
        : `layer ${layer.layerName} (from s3://${fromS3.s3Bucket}/${fromS3.s3Key})`;
    const response = await this.call({ action: IAM_ACTIONS.publishLayerVersion, resource }, () =>
      this.lambda.send(
        new PublishLayerVersionCommand({
          LayerName: layer.layerName,
          Description: layer.description,
          LicenseInfo: layer.licenseInfo,
          CompatibleRuntimes: layer.compatibleRuntimes as Runtime[],
          CompatibleArchitectures: layer.compatibleArchitectures as LambdaArchitecture[],
          Content:
            fromS3 === undefined
              ? { ZipFile: (content as { zipFile: Uint8Array }).zipFile }
              : { S3Bucket: fromS3.s3Bucket, S3Key: fromS3.s3Key },
        }),
      ),
    );
    if (response.Version === undefined || response.LayerVersionArn === undefined) {
      throw new Error(
        `PublishLayerVersion for ${layer.layerName} in ${this.region} returned no version or ARN`,
      );
    }
    return {
      version: response.Version,
      arn: response.LayerVersionArn,
      layerArn: response.LayerArn ?? layerArnOf(response.LayerVersionArn),
      codeSha256: response.Content?.CodeSha256,
    };
  }

  async grant(layerName: string, version: number, grant: SharingGrant): Promise<GrantOutcome> {
    const permission = layerPermission(grant);
    const resource = `layer ${layerName} version ${version}`;
    const added = await this.call(
      { action: IAM_ACTIONS.addLayerVersionPermission, resource },
      async () => {
        await this.lambda.send(
          new AddLayerVersionPermissionCommand({
            LayerName: layerName,
            VersionNumber: version,
            StatementId: permission.statementId,
            Action: permission.action,
            Principal: permission.principal,
            OrganizationId: permission.organizationId,
          }),
        );
        return true;
      },
      { ResourceConflictException: false },
    );
    if (added) return 'added';
    // The statement id is taken: a rerun left it there. Make sure it grants the same thing before calling that fine.
    const policy = await this.call({ action: IAM_ACTIONS.getLayerVersionPolicy, resource }, () =>
      this.lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layerName, VersionNumber: version })),
    );
    const matches = policyGrants(policy.Policy ?? '', permission);
    if (matches === true) return 'present';
    throw new UserError(
      `${resource} in ${this.region} already has a statement "${permission.statementId}" that grants something ` +
        `other than ${describeGrant(grant)}. Remove it ` +
        `(aws lambda remove-layer-version-permission --layer-name ${layerName} --version-number ${version} ` +
        `--statement-id ${permission.statementId} --region ${this.region}) and rerun.`,
    );
  }
}

export const awsPublisherFactory: PublisherFactory = (region, log) => new AwsLayerPublisher(region, log);
