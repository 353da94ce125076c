/**
 * A local stand-in for the few AWS Lambda and S3 operations publishing uses, so tests run the real SDK clients
 * (signing, serialisation, retries, multipart) against 127.0.0.1 only.
 *
 * Shapes follow the Lambda API reference (REST-JSON under /2018-10-31, errors as an `x-amzn-ErrorType` header
 * plus a JSON body) and the S3 API reference (path-style REST, XML bodies and errors). Both services share one
 * port; the service and region come from the SigV4 credential scope in the Authorization header, which is also
 * how the fake keeps each region's layers apart.
 *
 * Failure switches: throttle(op, n), deny(iamAction), failNext(op, n, error), corruptNext(n).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export type LambdaOperation =
  | 'PublishLayerVersion'
  | 'ListLayerVersions'
  | 'GetLayerVersion'
  | 'AddLayerVersionPermission'
  | 'GetLayerVersionPolicy';
export type S3Operation =
  'PutObject' | 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload';
export type Operation = LambdaOperation | S3Operation;

/** The IAM action each operation needs; deny() takes these names. */
export const IAM_ACTIONS: Record<Operation, string> = {
  PublishLayerVersion: 'lambda:PublishLayerVersion',
  ListLayerVersions: 'lambda:ListLayerVersions',
  GetLayerVersion: 'lambda:GetLayerVersion',
  AddLayerVersionPermission: 'lambda:AddLayerVersionPermission',
  GetLayerVersionPolicy: 'lambda:GetLayerVersionPolicy',
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
};

export interface RecordedRequest {
  service: 'lambda' | 's3';
  region: string;
  /** Undefined when the path matched no operation. */
  operation: Operation | undefined;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Lambda: the parsed JSON body, with ZipFile replaced by "<base64: N chars>" to keep records small. */
  json: unknown;
  bodyBytes: number;
  status: number;
  errorType: string | undefined;
  /** When the request arrived (ms since the epoch), to check retry delays. */
  at: number;
}

export interface FakeStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: { StringEquals: { 'aws:PrincipalOrgID': string } };
}

export interface FakeLayerVersion {
  region: string;
  layerName: string;
  version: number;
  arn: string;
  layerArn: string;
  description: string;
  licenseInfo: string | undefined;
  compatibleRuntimes: string[];
  compatibleArchitectures: string[];
  /** The zip as Lambda received it (decoded ZipFile, or the S3 object's bytes). */
  zip: Buffer;
  source: { zipFile: true } | { s3Bucket: string; s3Key: string };
  createdDate: string;
  statements: FakeStatement[];
}

export interface FakeS3Object {
  bucket: string;
  key: string;
  /** The region whose credentials scope uploaded it: Lambda only reads from its own region. */
  region: string;
  bytes: Buffer;
  /** Part sizes when it arrived by multipart upload, in order. */
  partSizes: number[] | undefined;
  contentType: string | undefined;
}

export interface InjectedError {
  status: number;
  /** Lambda: the x-amzn-ErrorType; S3: the XML Code. */
  type: string;
  message: string;
  headers?: Record<string, string> | undefined;
}

export interface FakeAwsOptions {
  accountId?: string;
  /** Lambda's limit on a request body (what makes a too-big ZipFile fail with 413). */
  lambdaRequestLimit?: number;
}

interface MultipartUpload {
  bucket: string;
  key: string;
  region: string;
  contentType: string | undefined;
  parts: Map<number, { bytes: Buffer; etag: string }>;
}

/** Lambda's current request limit for PublishLayerVersion, from its 413 message. */
export const LAMBDA_REQUEST_LIMIT = 70_167_211;
const S3_MIN_PART = 5 * 1024 * 1024;
const KNOWN_RUNTIMES = new Set([
  'provided.al2023',
  'provided.al2',
  'provided',
  'python3.12',
  'python3.13',
  'nodejs20.x',
  'nodejs22.x',
  'java21',
]);
const LAYER_NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(message);
  }
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function crc32Base64(bytes: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes) >>> 0);
  return out.toString('base64');
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function lambdaDate(date: Date): string {
  // Lambda writes CreatedDate as 2018-11-14T23:03:52.894+0000.
  return date.toISOString().replace('Z', '+0000');
}

/**
 * Decodes an `aws-chunked` body (what the SDK sends for streamed payloads with trailing checksums):
 * `<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailer lines>\r\n\r\n`.
 */
function decodeAwsChunked(body: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0)
      throw new HttpError(400, 'IncompleteBody', 'aws-chunked body ends inside a chunk header');
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new HttpError(400, 'InvalidChunkSizeError', 'bad aws-chunked chunk size');
    offset = lineEnd + 2;
    if (size === 0) break;
    chunks.push(body.subarray(offset, offset + size));
    offset += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(offset).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(chunks), trailers };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export class FakeAws {
  readonly requests: RecordedRequest[] = [];
  readonly objects = new Map<string, FakeS3Object>();
  private readonly layerStore = new Map<string, FakeLayerVersion[]>();
  private readonly uploads = new Map<string, MultipartUpload>();
  private readonly denied = new Set<string>();
  private readonly injected: { operation: Operation; remaining: number; error: InjectedError }[] = [];
  private corruptions = 0;
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  private readonly accountId: string;
  private readonly lambdaRequestLimit: number;
  url = '';

  constructor(options: FakeAwsOptions = {}) {
    this.accountId = options.accountId ?? '123456789012';
    this.lambdaRequestLimit = options.lambdaRequestLimit ?? LAMBDA_REQUEST_LIMIT;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The environment that points the SDK at this server, with dummy credentials and no shared config. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_LAMBDA: this.url,
      AWS_ENDPOINT_URL_S3: this.url,
      AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0000',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-key-for-tests-only-0000000000',
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  // ---- failure switches ----

  /**
   * The next `times` calls of `operation` fail as throttled: Lambda's 429 TooManyRequestsException (with a
   * Retry-After header when retryAfterSeconds is given), S3's 503 SlowDown.
   */
  throttle(operation: Operation, times: number, retryAfterSeconds?: number): void {
    const headers =
      retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(retryAfterSeconds) };
    const error: InjectedError = IAM_ACTIONS[operation].startsWith('lambda:')
      ? { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded', headers }
      : { status: 503, type: 'SlowDown', message: 'Please reduce your request rate.' };
    this.failNext(operation, times, error);
  }

  /** Every call that needs `iamAction` (e.g. lambda:PublishLayerVersion, s3:PutObject) fails with 403 from now on. */
  deny(iamAction: string): void {
    this.denied.add(iamAction);
  }

  /**
   * The next `times` successful PublishLayerVersion calls store the zip with its last byte changed, as after a
   * damaged upload: the version exists, carries the description sent, and reports the CodeSha256 of what was
   * stored, which is not the zip's.
   */
  corruptNext(times: number): void {
    this.corruptions += times;
  }

  /** The next `times` calls of `operation` fail with `error`. */
  failNext(operation: Operation, times: number, error: InjectedError): void {
    this.injected.push({ operation, remaining: times, error });
  }

  // ---- inspection ----

  calls(operation?: Operation): RecordedRequest[] {
    return this.requests.filter((r) => operation === undefined || r.operation === operation);
  }

  layerVersions(region: string, layerName: string): FakeLayerVersion[] {
    return this.layerStore.get(`${region}/${layerName}`) ?? [];
  }

  allLayerVersions(): FakeLayerVersion[] {
    return [...this.layerStore.values()].flat();
  }

  // ---- dispatch ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = {
      service: 'lambda',
      region: '',
      operation: undefined,
      method: req.method ?? '',
      path: url.pathname,
      query,
      headers: req.headers,
      json: undefined,
      bodyBytes: body.length,
      status: 0,
      errorType: undefined,
      at: Date.now(),
    };
    this.requests.push(record);

    const auth = SIGV4.exec(req.headers['authorization'] ?? '');
    // The signature's scope names the service; an unsigned request is judged by its path.
    const service =
      auth !== null
        ? auth[4] === 's3'
          ? 's3'
          : 'lambda'
        : url.pathname.startsWith('/2018-10-31/')
          ? 'lambda'
          : 's3';
    record.service = service;
    record.region = auth?.[3] ?? '';
    try {
      if (auth === null || req.headers['x-amz-date'] === undefined) {
        throw service === 's3'
          ? new HttpError(403, 'AccessDenied', 'Missing or malformed SigV4 Authorization header')
          : new HttpError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
      }
      if (service === 's3') {
        await this.handleS3(req, url, body, record, res);
      } else {
        this.handleLambda(req, url, body, record, res);
      }
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      record.status = error.status;
      record.errorType = error.type;
      if (service === 's3') this.sendS3Error(res, error);
      else this.sendLambdaError(res, error);
    }
  }

  /** Denials, then injected failures, in the order a real service would apply them (auth first). */
  private checkFailures(operation: Operation, resource: string): void {
    const action = IAM_ACTIONS[operation];
    if (this.denied.has(action)) {
      const who = `arn:aws:iam::${this.accountId}:user/publisher`;
      if (action.startsWith('s3:')) throw new HttpError(403, 'AccessDenied', 'Access Denied');
      throw new HttpError(
        403,
        'AccessDeniedException',
        `User: ${who} is not authorized to perform: ${action} on resource: ${resource} ` +
          `because no identity-based policy allows the ${action} action`,
      );
    }
    const injected = this.injected.find((i) => i.operation === operation && i.remaining > 0);
    if (injected !== undefined) {
      injected.remaining -= 1;
      const { status, type, message, headers } = injected.error;
      throw new HttpError(status, type, message, headers);
    }
  }

  private sendLambdaError(res: ServerResponse, error: HttpError): void {
    // AccessDenied comes from IAM with a capitalised "Message"; Lambda's own exceptions use Type and message.
    const body =
      error.type === 'AccessDeniedException'
        ? { Message: error.message }
        : error.type === 'TooManyRequestsException'
          ? { Type: 'User', message: error.message, Reason: 'CallerRateLimitExceeded' }
          : { Type: 'User', message: error.message };
    res.writeHead(error.status, {
      'Content-Type': 'application/json',
      'x-amzn-RequestId': randomUUID(),
      'x-amzn-ErrorType': error.type,
      ...error.extraHeaders,
    });
    res.end(JSON.stringify(body));
  }

  private sendS3Error(res: ServerResponse, error: HttpError): void {
    const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
    res.writeHead(error.status, { 'Content-Type': 'application/xml', 'x-amz-request-id': requestId });
    res.end(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${error.type}</Code><Message>${xmlEscape(error.message)}</Message>` +
        `<RequestId>${requestId}</RequestId><HostId>fake</HostId></Error>`,
    );
  }

  private sendJson(res: ServerResponse, record: RecordedRequest, status: number, body: unknown): void {
    record.status = status;
    res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-RequestId': randomUUID() });
    res.end(JSON.stringify(body));
  }

  // ---- Lambda ----

  private layerArn(region: string, name: string): string {
    return `arn:aws:lambda:${region}:${this.accountId}:layer:${name}`;
  }

  private handleLambda(
    req: IncomingMessage,
    url: URL,
    body: Buffer,
    record: RecordedRequest,
    res: ServerResponse,
  ): void {
    const match = /^\/2018-10-31\/layers\/([^/]+)\/versions(?:\/(\d+)(\/policy)?)?$/.exec(url.pathname);
    const method = req.method ?? '';
    const name = decodeURIComponent(match?.[1] ?? '');
    const versionNumber = match?.[2] === undefined ? undefined : Number(match[2]);
    const isPolicy = match?.[3] !== undefined;
    let operation: LambdaOperation | undefined;
    if (match !== null && versionNumber === undefined && method === 'POST') operation = 'PublishLayerVersion';
    else if (match !== null && versionNumber === undefined && method === 'GET')
      operation = 'ListLayerVersions';
    else if (match !== null && versionNumber !== undefined && !isPolicy && method === 'GET')
      operation = 'GetLayerVersion';
    else if (match !== null && isPolicy && method === 'POST') operation = 'AddLayerVersionPermission';
    else if (match !== null && isPolicy && method === 'GET') operation = 'GetLayerVersionPolicy';
    record.operation = operation;
    if (operation === undefined) {
      throw new HttpError(404, 'UnknownOperationException', `No fake for ${method} ${url.pathname}`);
    }
    const region = record.region;
    const arn = this.layerArn(region, name);
    this.checkFailures(operation, versionNumber === undefined ? arn : `${arn}:${versionNumber}`);
    if (operation === 'PublishLayerVersion' && body.length > this.lambdaRequestLimit) {
      throw new HttpError(
        413,
        'RequestEntityTooLargeException',
        `Request must be smaller than ${this.lambdaRequestLimit} bytes for the PublishLayerVersion operation`,
      );
    }
    let json: Record<string, unknown> = {};
    if (body.length > 0) {
      try {
        json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new HttpError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
      }
    }
    record.json = summariseBody(json);
    if (!LAYER_NAME.test(name)) {
      throw new HttpError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${name}' at 'layerName' failed to satisfy constraint: ` +
          'Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length at most 64',
      );
    }
    switch (operation) {
      case 'PublishLayerVersion':
        return this.sendJson(res, record, 201, this.publishLayerVersion(region, name, json));
      case 'ListLayerVersions':
        return this.sendJson(res, record, 200, this.listLayerVersions(region, name, url.searchParams));
      case 'GetLayerVersion':
        return this.sendJson(res, record, 200, this.getLayerVersion(region, name, versionNumber!));
      case 'AddLayerVersionPermission':
        return this.sendJson(res, record, 201, this.addPermission(region, name, versionNumber!, json));
      case 'GetLayerVersionPolicy':
        return this.sendJson(res, record, 200, this.getPolicy(region, name, versionNumber!));
    }
  }

  private publishLayerVersion(region: string, name: string, json: Record<string, unknown>): unknown {
    const invalid = (message: string): HttpError =>
      new HttpError(400, 'InvalidParameterValueException', message);
    const content = (json['Content'] ?? {}) as Record<string, unknown>;
    const zipFile = content['ZipFile'];
    const s3Bucket = content['S3Bucket'];
    const s3Key = content['S3Key'];
    let zip: Buffer;
    let source: FakeLayerVersion['source'];
    if (typeof zipFile === 'string' && s3Bucket === undefined && s3Key === undefined) {
      zip = Buffer.from(zipFile, 'base64');
      source = { zipFile: true };
    } else if (zipFile === undefined && typeof s3Bucket === 'string' && typeof s3Key === 'string') {
      // Lambda fetches the object with the caller's permissions, from a bucket in its own region.
      if (this.denied.has('s3:GetObject')) {
        throw invalid(
          'Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: Access Denied',
        );
      }
      const object = this.objects.get(`${s3Bucket}/${s3Key}`);
      if (object === undefined) {
        throw invalid(
          'Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.',
        );
      }
      if (object.region !== region) {
        throw invalid(
          'Error occurred while GetObject. S3 Error Code: PermanentRedirect. S3 Error Message: The bucket is in ' +
            `this region: ${object.region}. Please use this region to retry the request`,
        );
      }
      zip = object.bytes;
      source = { s3Bucket, s3Key };
    } else {
      throw invalid('Please provide either ZipFile or S3Bucket and S3Key in Content');
    }
    if (zip.length < 22 || zip.readUInt32LE(0) !== 0x04034b50) {
      throw invalid('Could not unzip uploaded file. Please check your file, then try to upload again.');
    }
    const description = json['Description'] ?? '';
    if (typeof description !== 'string' || description.length > 256) {
      throw invalid('Description must be a string of at most 256 characters');
    }
    const license = json['LicenseInfo'];
    if (license !== undefined && (typeof license !== 'string' || license.length > 512)) {
      throw invalid('LicenseInfo must be a string of at most 512 characters');
    }
    const runtimes = (json['CompatibleRuntimes'] ?? []) as string[];
    if (!Array.isArray(runtimes) || runtimes.length > 15 || runtimes.some((r) => !KNOWN_RUNTIMES.has(r))) {
      throw invalid(`Invalid CompatibleRuntimes: ${JSON.stringify(runtimes)}`);
    }
    const architectures = (json['CompatibleArchitectures'] ?? []) as string[];
    if (
      !Array.isArray(architectures) ||
      architectures.length > 2 ||
      architectures.some((a) => a !== 'x86_64' && a !== 'arm64')
    ) {
      throw invalid(`Invalid CompatibleArchitectures: ${JSON.stringify(architectures)}`);
    }
    if (this.corruptions > 0) {
      this.corruptions -= 1;
      zip = Buffer.from(zip);
      zip[zip.length - 1] = (zip[zip.length - 1]! + 1) % 256;
    }
    const key = `${region}/${name}`;
    const versions = this.layerStore.get(key) ?? [];
    const version = (versions.at(-1)?.version ?? 0) + 1;
    const layerArn = this.layerArn(region, name);
    const stored: FakeLayerVersion = {
      region,
      layerName: name,
      version,
      arn: `${layerArn}:${version}`,
      layerArn,
      description,
      licenseInfo: license as string | undefined,
      compatibleRuntimes: runtimes,
      compatibleArchitectures: architectures,
      zip,
      source,
      createdDate: lambdaDate(new Date()),
      statements: [],
    };
    this.layerStore.set(key, [...versions, stored]);
    return this.versionDescription(stored);
  }

  /** What PublishLayerVersion and GetLayerVersion return for a version. */
  private versionDescription(v: FakeLayerVersion): unknown {
    return {
      Content: {
        Location: `https://awslambda-${v.region}-layers.s3.${v.region}.amazonaws.com/snapshots/${this.accountId}/${v.layerName}-${randomUUID()}`,
        CodeSha256: createHash('sha256').update(v.zip).digest('base64'),
        CodeSize: v.zip.length,
      },
      LayerArn: v.layerArn,
      LayerVersionArn: v.arn,
      Description: v.description,
      CreatedDate: v.createdDate,
      Version: v.version,
      CompatibleRuntimes: v.compatibleRuntimes,
      CompatibleArchitectures: v.compatibleArchitectures,
      ...(v.licenseInfo === undefined ? {} : { LicenseInfo: v.licenseInfo }),
    };
  }

  private getLayerVersion(region: string, name: string, version: number): unknown {
    return this.versionDescription(this.findVersion(region, name, version));
  }

  private listLayerVersions(region: string, name: string, params: URLSearchParams): unknown {
    const maxItems = Number(params.get('MaxItems') ?? '50');
    if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 50) {
      throw new HttpError(400, 'InvalidParameterValueException', 'MaxItems must be between 1 and 50');
    }
    const runtime = params.get('CompatibleRuntime');
    const architecture = params.get('CompatibleArchitecture');
    const marker = params.get('Marker');
    // Newest first, as Lambda lists them; the marker is the version to continue below.
    const all = this.layerVersions(region, name)
      .filter((v) => runtime === null || v.compatibleRuntimes.includes(runtime))
      .filter((v) => architecture === null || v.compatibleArchitectures.includes(architecture))
      .filter((v) => marker === null || v.version <= Number(marker))
      .slice()
      .reverse();
    const page = all.slice(0, maxItems);
    const next = all[maxItems];
    return {
      LayerVersions: page.map((v) => ({
        LayerVersionArn: v.arn,
        Version: v.version,
        Description: v.description,
        CreatedDate: v.createdDate,
        CompatibleRuntimes: v.compatibleRuntimes,
        CompatibleArchitectures: v.compatibleArchitectures,
        ...(v.licenseInfo === undefined ? {} : { LicenseInfo: v.licenseInfo }),
      })),
      ...(next === undefined ? {} : { NextMarker: String(next.version) }),
    };
  }

  private findVersion(region: string, name: string, version: number): FakeLayerVersion {
    const found = this.layerVersions(region, name).find((v) => v.version === version);
    if (found === undefined) {
      throw new HttpError(
        404,
        'ResourceNotFoundException',
        `Layer version ${this.layerArn(region, name)}:${version} does not exist.`,
      );
    }
    return found;
  }

  private addPermission(
    region: string,
    name: string,
    version: number,
    json: Record<string, unknown>,
  ): unknown {
    const layer = this.findVersion(region, name, version);
    const invalid = (message: string): HttpError =>
      new HttpError(400, 'InvalidParameterValueException', message);
    const { StatementId: sid, Action: action, Principal: principal, OrganizationId: org } = json;
    if (typeof sid !== 'string' || !/^[a-zA-Z0-9-_]{1,100}$/.test(sid))
      throw invalid(`Invalid StatementId: ${String(sid)}`);
    if (action !== 'lambda:GetLayerVersion') throw invalid(`Invalid Action: ${String(action)}`);
    if (typeof principal !== 'string' || !(principal === '*' || /^\d{12}$/.test(principal))) {
      throw invalid(`Invalid Principal: ${String(principal)}`);
    }
    if (
      org !== undefined &&
      (principal !== '*' || typeof org !== 'string' || !/^o-[a-z0-9]{10,32}$/.test(org))
    ) {
      throw invalid('OrganizationId requires Principal "*" and an id like o-a1b2c3d4e5');
    }
    if (layer.statements.some((s) => s.Sid === sid)) {
      throw new HttpError(
        409,
        'ResourceConflictException',
        `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    const statement: FakeStatement = {
      Sid: sid,
      Effect: 'Allow',
      Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
      Action: action,
      Resource: layer.arn,
      ...(typeof org === 'string' ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': org } } } : {}),
    };
    layer.statements.push(statement);
    return { Statement: JSON.stringify(statement), RevisionId: randomUUID() };
  }

  private getPolicy(region: string, name: string, version: number): unknown {
    const layer = this.findVersion(region, name, version);
    if (layer.statements.length === 0) {
      throw new HttpError(
        404,
        'ResourceNotFoundException',
        'No policy is associated with the given resource.',
      );
    }
    return {
      Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: layer.statements }),
      RevisionId: randomUUID(),
    };
  }

  // ---- S3 (path style: /bucket/key) ----

  private async handleS3(
    req: IncomingMessage,
    url: URL,
    rawBody: Buffer,
    record: RecordedRequest,
    res: ServerResponse,
  ): Promise<void> {
    const match = /^\/([^/]+)\/(.+)$/.exec(url.pathname);
    const method = req.method ?? '';
    const params = url.searchParams;
    let operation: S3Operation | undefined;
    if (match !== null) {
      if (method === 'PUT' && params.has('uploadId') && params.has('partNumber')) operation = 'UploadPart';
      else if (method === 'PUT' && !params.has('uploadId')) operation = 'PutObject';
      else if (method === 'POST' && params.has('uploads')) operation = 'CreateMultipartUpload';
      else if (method === 'POST' && params.has('uploadId')) operation = 'CompleteMultipartUpload';
      else if (method === 'DELETE' && params.has('uploadId')) operation = 'AbortMultipartUpload';
    }
    record.operation = operation;
    if (operation === undefined || match === null) {
      throw new HttpError(
        400,
        'InvalidRequest',
        `No fake for ${method} ${url.pathname} (path-style URLs only)`,
      );
    }
    const bucket = decodeURIComponent(match[1]!);
    const key = decodeURIComponent(match[2]!);
    this.checkFailures(operation, `arn:aws:s3:::${bucket}/${key}`);
    const body = this.s3Payload(req, rawBody);

    switch (operation) {
      case 'PutObject': {
        this.objects.set(`${bucket}/${key}`, {
          bucket,
          key,
          region: record.region,
          bytes: body,
          partSizes: undefined,
          contentType: req.headers['content-type'],
        });
        record.status = 200;
        res.writeHead(200, { ETag: `"${md5(body)}"` });
        return void res.end();
      }
      case 'CreateMultipartUpload': {
        const uploadId = randomUUID();
        this.uploads.set(uploadId, {
          bucket,
          key,
          region: record.region,
          contentType: req.headers['content-type'],
          parts: new Map(),
        });
        return this.sendXml(
          res,
          record,
          'InitiateMultipartUploadResult',
          `<Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId>`,
        );
      }
      case 'UploadPart': {
        const upload = this.upload(params.get('uploadId'), bucket, key);
        const partNumber = Number(params.get('partNumber'));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
          throw new HttpError(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000');
        }
        const etag = `"${md5(body)}"`;
        upload.parts.set(partNumber, { bytes: body, etag });
        record.status = 200;
        res.writeHead(200, { ETag: etag });
        return void res.end();
      }
      case 'CompleteMultipartUpload': {
        const upload = this.upload(params.get('uploadId'), bucket, key);
        const listed = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
          number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]!)?.[1]),
          etag: /<ETag>([^<]*)<\/ETag>/.exec(m[1]!)?.[1]?.replace(/&quot;/g, '"'),
        }));
        if (listed.length === 0)
          throw new HttpError(400, 'MalformedXML', 'The XML you provided was not well-formed');
        const parts = listed.map((p, i) => {
          const stored = upload.parts.get(p.number);
          if (stored === undefined || stored.etag !== p.etag) {
            throw new HttpError(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          }
          if (i > 0 && p.number <= listed[i - 1]!.number) {
            throw new HttpError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
          }
          if (i < listed.length - 1 && stored.bytes.length < S3_MIN_PART) {
            throw new HttpError(
              400,
              'EntityTooSmall',
              'Your proposed upload is smaller than the minimum allowed size',
            );
          }
          return stored.bytes;
        });
        const bytes = Buffer.concat(parts);
        this.objects.set(`${bucket}/${key}`, {
          bucket,
          key,
          region: upload.region,
          bytes,
          partSizes: parts.map((p) => p.length),
          contentType: upload.contentType,
        });
        this.uploads.delete(params.get('uploadId')!);
        const etag = `"${md5(Buffer.concat(parts.map((p) => Buffer.from(md5(p), 'hex'))))}-${parts.length}"`;
        return this.sendXml(
          res,
          record,
          'CompleteMultipartUploadResult',
          `<Location>${this.url}/${xmlEscape(bucket)}/${xmlEscape(key)}</Location><Bucket>${xmlEscape(bucket)}</Bucket>` +
            `<Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag>`,
        );
      }
      case 'AbortMultipartUpload': {
        this.upload(params.get('uploadId'), bucket, key);
        this.uploads.delete(params.get('uploadId')!);
        record.status = 204;
        res.writeHead(204);
        return void res.end();
      }
    }
  }

  private upload(uploadId: string | null, bucket: string, key: string): MultipartUpload {
    const upload = uploadId === null ? undefined : this.uploads.get(uploadId);
    if (upload === undefined || upload.bucket !== bucket || upload.key !== key) {
      throw new HttpError(404, 'NoSuchUpload', 'The specified upload does not exist.');
    }
    return upload;
  }

  /**
   * The object bytes of a PutObject/UploadPart, checked the way S3 checks them: aws-chunked framing decoded,
   * x-amz-content-sha256 and any CRC32 checksum (header or trailer) verified.
   */
  private s3Payload(req: IncomingMessage, raw: Buffer): Buffer {
    const contentSha = String(req.headers['x-amz-content-sha256'] ?? '');
    const chunked =
      /aws-chunked/.test(String(req.headers['content-encoding'] ?? '')) ||
      contentSha.startsWith('STREAMING-');
    const { data, trailers } = chunked
      ? decodeAwsChunked(raw)
      : { data: raw, trailers: {} as Record<string, string> };
    if (chunked) {
      const declared = Number(req.headers['x-amz-decoded-content-length']);
      if (declared !== data.length) {
        throw new HttpError(
          400,
          'IncompleteBody',
          `Decoded ${data.length} bytes but x-amz-decoded-content-length is ${declared}`,
        );
      }
    }
    if (/^[0-9a-f]{64}$/.test(contentSha) && createHash('sha256').update(data).digest('hex') !== contentSha) {
      throw new HttpError(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    const crc = trailers['x-amz-checksum-crc32'] ?? req.headers['x-amz-checksum-crc32'];
    if (typeof crc === 'string' && crc !== crc32Base64(data)) {
      throw new HttpError(400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
    }
    return data;
  }

  private sendXml(res: ServerResponse, record: RecordedRequest, root: string, inner: string): void {
    record.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`,
    );
  }
}

function summariseBody(json: Record<string, unknown>): unknown {
  const content = json['Content'] as Record<string, unknown> | undefined;
  if (typeof content?.['ZipFile'] !== 'string') return json;
  return { ...json, Content: { ...content, ZipFile: `<base64: ${content['ZipFile'].length} chars>` } };
}

export async function startFakeAws(options: FakeAwsOptions = {}): Promise<FakeAws> {
  return new FakeAws(options).start();
}
