/**
 * Turns what the AWS SDK throws into messages a person can act on: which IAM action is missing and where,
 * that throttling outlasted the retries, that no credentials were found. Pure: no I/O.
 */
import { UserError } from '../errors.js';

/**
 * Every IAM action publishing needs, named once: the calls below report these when access is denied, and
 * docs/iam-policy.json (checked by a test) grants exactly these.
 */
export const IAM_ACTIONS = {
  listLayerVersions: 'lambda:ListLayerVersions',
  publishLayerVersion: 'lambda:PublishLayerVersion',
  /** A rerun checks that the version it would reuse holds exactly the zip (its CodeSha256). */
  getLayerVersion: 'lambda:GetLayerVersion',
  addLayerVersionPermission: 'lambda:AddLayerVersionPermission',
  /** On reruns: to confirm a sharing statement already there is ours. */
  getLayerVersionPolicy: 'lambda:GetLayerVersionPolicy',
  /** Covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload too. */
  putObject: 's3:PutObject',
  /** The uploader aborts a failed multipart upload so no parts are left behind. */
  abortMultipartUpload: 's3:AbortMultipartUpload',
  /** Lambda fetches an S3-published zip with the caller's permissions. */
  getObject: 's3:GetObject',
} as const;

/** What was being done when the error came: the IAM action the call needs, the region and the resource. */
export interface AwsCallContext {
  action: string;
  region: string;
  resource: string;
}

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const ACCESS_DENIED_NAMES = new Set(['AccessDeniedException', 'AccessDenied', 'AllAccessDisabled']);
const THROTTLING_NAMES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'SlowDown',
  'RequestLimitExceeded',
]);
const CREDENTIAL_NAMES = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE']);

const IAM_POLICY_HINT = 'docs/iam-policy.json lists every permission publishing needs';

/** The action AWS names in "… is not authorized to perform: lambda:X on resource …", if it does. */
export function actionFromMessage(message: string): string | undefined {
  return /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9]+)/.exec(message)?.[1];
}

export function explainAwsError(error: unknown, context: AwsCallContext): unknown {
  if (error === null || typeof error !== 'object') return error;
  const e = error as AwsLikeError;
  const name = e.name ?? '';
  const message = (e.message ?? '').trim();
  const status = e.$metadata?.httpStatusCode;
  const where = `${context.action} in ${context.region}`;
  const said = message === '' ? '' : ` AWS said: ${message}`;

  if (ACCESS_DENIED_NAMES.has(name) || (status === 403 && /not authorized|access denied/i.test(message))) {
    const action = actionFromMessage(message) ?? context.action;
    return new UserError(
      `Access denied in ${context.region}: the AWS credentials in use may not call ${action} on ${context.resource}. ` +
        `Grant ${action} in their IAM policy (${IAM_POLICY_HINT}).${said}`,
      { cause: error },
    );
  }
  // Lambda fetches an S3-published zip with the caller's credentials and reports a refusal as a bad parameter.
  if (
    name === 'InvalidParameterValueException' &&
    /GetObject/.test(message) &&
    /AccessDenied|Forbidden/i.test(message)
  ) {
    return new UserError(
      `Lambda in ${context.region} could not read the uploaded zip for ${context.resource}: the AWS credentials in use ` +
        `need ${IAM_ACTIONS.getObject} on it (${IAM_POLICY_HINT}).${said}`,
      { cause: error },
    );
  }
  if (THROTTLING_NAMES.has(name) || status === 429) {
    const attempts = e.$metadata?.attempts;
    return new UserError(
      `${where} was still throttled after ${attempts ?? 'several'} attempts. Wait a minute and rerun: ` +
        `layer versions this run already published are reused.${said}`,
      { cause: error },
    );
  }
  if (CREDENTIAL_NAMES.has(name)) {
    return new UserError(
      `No usable AWS credentials for ${where} (${name}). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
        'AWS_PROFILE, or use aws-actions/configure-aws-credentials in a workflow.' +
        said,
      { cause: error },
    );
  }
  if (name === 'RequestEntityTooLargeException' || status === 413) {
    return new UserError(
      `${where}: Lambda refused the request as too large for ${context.resource}. ` +
        'Give an S3 bucket (s3-bucket) so large zips are published through S3.' +
        said,
      { cause: error },
    );
  }
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) {
    return new UserError(`Could not reach AWS for ${where} (${e.code}): ${message}`, { cause: error });
  }
  if (status !== undefined) {
    return new UserError(`${where} failed for ${context.resource}: ${name} (HTTP ${status}).${said}`, {
      cause: error,
    });
  }
  return error;
}
