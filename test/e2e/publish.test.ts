/**
 * Publishing end to end with the real AWS SDK clients (signing, JSON and XML protocols, retries, multipart
 * upload) against the local fake in test/support/fake-aws.ts, reached through the SDK's own
 * AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL_S3 handling, with dummy credentials from the environment.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.js';
import type { RawOptions } from '../../src/options/parse.js';
import { memoryLogger } from '../../src/log.js';
import { LAMBDA_LIMITS, type LayerKind } from '../../src/layers.js';
import { parsePublishOptions, publishLayers, type PublishResult } from '../../src/publish/index.js';
import { AwsLayerPublisher } from '../../src/publish/publisher.js';
import { startFakeAws, type FakeAws } from '../support/fake-aws.js';
import { writeFixture, type Fixture } from '../support/publish-fixture.js';

jest.setTimeout(120_000);

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KINDS: LayerKind[] = ['r', 'r_lib', 'subsystem'];
const nameOf = (kind: LayerKind, arch = 'x86_64'): string => `r-lambda-${kind}-4_4_1-${arch}`;

let fake: FakeAws;
let work: string;
let small: Fixture;
let savedEnv: Record<string, string | undefined>;

/** Points the SDK at the fake through the environment, as a user would point it at LocalStack. */
function useFakeEnv(): void {
  const env = fake.env();
  savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
}

function restoreEnv(): void {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

async function publish(raw: RawOptions, log = memoryLogger()): Promise<PublishResult> {
  const run = await publishLayers(
    parsePublishOptions({ 'out-dir': small.dir, regions: 'us-east-1', ...raw }),
    {
      log,
    },
  );
  return run.published;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'publish-e2e-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  fake = await startFakeAws();
  useFakeEnv();
  small = await writeFixture(await mkdtemp(path.join(work, 'small-')));
});
afterEach(async () => {
  restoreEnv();
  await fake.close();
});

describe('publish with the real SDK against a local endpoint', () => {
  it('publishes small zips directly as signed JSON with base64 ZipFile', async () => {
    const result = await publish({});

    expect(result).toEqual({
      'us-east-1': Object.fromEntries(
        KINDS.map((kind) => [
          kind,
          {
            arn: `arn:aws:lambda:us-east-1:123456789012:layer:${nameOf(kind)}:1`,
            version: 1,
            layerArn: `arn:aws:lambda:us-east-1:123456789012:layer:${nameOf(kind)}`,
            reused: false,
          },
        ]),
      ),
    });
    // Every layer: a ListLayerVersions (the reuse check), then one PublishLayerVersion.
    expect(fake.requests.map((r) => `${r.operation} ${r.status}`)).toEqual(
      KINDS.flatMap(() => ['ListLayerVersions 200', 'PublishLayerVersion 201']),
    );
    for (const request of fake.requests) {
      expect(request.headers['authorization']).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0000\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/,
      );
    }
    for (const kind of KINDS) {
      const [stored] = fake.layerVersions('us-east-1', nameOf(kind));
      expect(stored!.zip.equals(small.zips[kind])).toBe(true);
      expect(stored!.source).toEqual({ zipFile: true });
      expect(stored!.compatibleRuntimes).toEqual(['provided.al2023']);
      expect(stored!.compatibleArchitectures).toEqual(['x86_64']);
      expect(stored!.description.length).toBeLessThanOrEqual(256);
      expect(stored!.description).toContain(`manifest sha256:${small.manifestSha256}`);
    }
    const publishBody = fake.calls('PublishLayerVersion')[0]!.json as Record<string, unknown>;
    expect(publishBody).toMatchObject({
      LicenseInfo: 'GPL-2.0-only OR GPL-3.0-only',
      CompatibleRuntimes: ['provided.al2023'],
      CompatibleArchitectures: ['x86_64'],
      Content: { ZipFile: expect.stringMatching(/^<base64: \d+ chars>$/) },
    });
    expect(fake.layerVersions('us-east-1', nameOf('r'))[0]!.description).toContain('jsonlite 1.8.8');
    expect(fake.layerVersions('us-east-1', nameOf('r_lib'))[0]!.description).toContain('aws.s3 0.3.22');
  });

  it('publishes to two regions in one run, each with its own signing region', async () => {
    const result = await publish({ regions: 'us-east-1,eu-west-1' });
    for (const region of ['us-east-1', 'eu-west-1']) {
      for (const kind of KINDS) {
        expect(fake.layerVersions(region, nameOf(kind))).toHaveLength(1);
        expect(result[region]?.[kind]?.arn).toBe(
          `arn:aws:lambda:${region}:123456789012:layer:${nameOf(kind)}:1`,
        );
      }
      expect(fake.calls('PublishLayerVersion').filter((r) => r.region === region)).toHaveLength(3);
    }
  });

  it.each([
    ['private', []],
    [
      'account:111122223333',
      [
        {
          StatementId: 'r-lambda-layer-account-111122223333',
          Action: 'lambda:GetLayerVersion',
          Principal: '111122223333',
        },
      ],
    ],
    [
      'organization:o-a1b2c3d4e5',
      [
        {
          StatementId: 'r-lambda-layer-organization-o-a1b2c3d4e5',
          Action: 'lambda:GetLayerVersion',
          Principal: '*',
          OrganizationId: 'o-a1b2c3d4e5',
        },
      ],
    ],
    ['public', [{ StatementId: 'r-lambda-layer-public', Action: 'lambda:GetLayerVersion', Principal: '*' }]],
  ])('shares as %s with AddLayerVersionPermission on every layer', async (sharing, bodies) => {
    await publish({ sharing });
    const calls = fake.calls('AddLayerVersionPermission');
    expect(calls.map((c) => c.path)).toEqual(
      bodies.length === 0 ? [] : KINDS.map((kind) => `/2018-10-31/layers/${nameOf(kind)}/versions/1/policy`),
    );
    for (const call of calls) {
      expect(call.status).toBe(201);
      expect(call.json).toEqual(bodies[0]);
    }
    expect(fake.layerVersions('us-east-1', nameOf('r'))[0]!.statements).toHaveLength(bodies.length);
  });

  it('reuses an unchanged build on a rerun instead of publishing a duplicate', async () => {
    await publish({ sharing: 'public' });
    const log = memoryLogger();
    const again = await publish({ sharing: 'public' }, log);

    expect(fake.calls('PublishLayerVersion')).toHaveLength(3);
    for (const kind of KINDS) {
      expect(again['us-east-1']?.[kind]).toMatchObject({ version: 1, reused: true });
      expect(fake.layerVersions('us-east-1', nameOf(kind))).toHaveLength(1);
    }
    expect(log.lines.filter((l) => l.startsWith('reusing '))).toHaveLength(3);
    // Before reusing, the rerun checks that Lambda stored exactly the zip.
    expect(fake.calls('GetLayerVersion').map((c) => [c.path, c.status])).toEqual(
      KINDS.map((kind) => [`/2018-10-31/layers/${nameOf(kind)}/versions/1`, 200]),
    );
    // The permission is already there: Lambda answers 409, the policy confirms it is ours, the run goes on.
    expect(
      fake
        .calls('AddLayerVersionPermission')
        .slice(3)
        .map((c) => c.status),
    ).toEqual([409, 409, 409]);
    expect(fake.calls('GetLayerVersionPolicy').map((c) => c.status)).toEqual([200, 200, 200]);
    expect(log.lines).toContain(`already shared ${nameOf('r')}:1 with everyone (public)`);
    expect(log.lines.filter((l) => l.startsWith('warning: '))).toEqual([]);
  });

  it('after a corrupted upload, a rerun publishes a new version instead of reusing the bad one', async () => {
    fake.corruptNext(1);
    const zipSha = createHash('sha256').update(small.zips.r).digest('base64');
    const error = await publish({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${nameOf('r')} in us-east-1: Lambda stored version 1 with CodeSha256 \\S+, but the zip has ` +
          `${zipSha.replace(/[+/]/g, '\\$&')}\\. Rerun: .*aws lambda delete-layer-version --layer-name ${nameOf('r')} ` +
          '--version-number 1 --region us-east-1$',
      ),
    );
    // The bad version is there and labelled with this very build.
    const [bad] = fake.layerVersions('us-east-1', nameOf('r'));
    expect(bad!.description).toContain(`manifest sha256:${small.manifestSha256}`);
    expect(bad!.zip.equals(small.zips.r)).toBe(false);

    const log = memoryLogger();
    const again = await publish({}, log);
    expect(again['us-east-1']?.r).toMatchObject({ version: 2, reused: false });
    expect(fake.layerVersions('us-east-1', nameOf('r'))[1]!.zip.equals(small.zips.r)).toBe(true);
    expect(fake.calls('GetLayerVersion').map((c) => [c.path, c.status])).toEqual([
      [`/2018-10-31/layers/${nameOf('r')}/versions/1`, 200],
    ]);
    const storedSha = createHash('sha256').update(bad!.zip).digest('base64');
    expect(log.lines).toContain(
      `warning: ${nameOf('r')} in us-east-1: version 1 is labelled with this build (manifest ` +
        `${small.manifestSha256.slice(0, 12)}) but Lambda stored other bytes (CodeSha256 ${storedSha}, the zip has ` +
        `${zipSha}), as after a corrupted upload. Publishing a new version instead of reusing it.`,
    );

    // From now on the good version is the one reused.
    const third = await publish({});
    expect(fake.calls('PublishLayerVersion').filter((c) => c.status === 201)).toHaveLength(4);
    for (const kind of KINDS) expect(third['us-east-1']?.[kind]?.reused).toBe(true);
    expect(third['us-east-1']?.r?.version).toBe(2);
  });

  it('names lambda:GetLayerVersion when the rerun may not check a version', async () => {
    await publish({});
    fake.deny('lambda:GetLayerVersion');
    await expect(publish({})).rejects.toThrow(
      /^Access denied in us-east-1: .* may not call lambda:GetLayerVersion on layer r-lambda-r-4_4_1-x86_64 version 1\. Grant lambda:GetLayerVersion/,
    );
    expect(fake.calls('PublishLayerVersion')).toHaveLength(3);
  });

  it('refuses to call a taken statement id fine when it grants something else', async () => {
    await publish({ sharing: 'account:111122223333' });
    // Someone edited the statement by hand since: same id, another account.
    fake.layerVersions('us-east-1', nameOf('r'))[0]!.statements[0]!.Principal = {
      AWS: 'arn:aws:iam::999999999999:root',
    };
    await expect(publish({ sharing: 'account:111122223333' })).rejects.toThrow(
      /already has a statement "r-lambda-layer-account-111122223333" that grants something other than account 111122223333\. Remove it \(aws lambda remove-layer-version-permission --layer-name r-lambda-r-4_4_1-x86_64 --version-number 1/,
    );
  });

  it('publishes a new version when the build changed, and reuses only the newest version', async () => {
    await publish({});
    const first = small;
    small = await writeFixture(await mkdtemp(path.join(work, 'changed-')));
    const result = await publish({});
    expect(result['us-east-1']?.r).toMatchObject({ version: 2, reused: false });
    expect(fake.layerVersions('us-east-1', nameOf('r'))[1]!.zip.equals(small.zips.r)).toBe(true);
    // Version 1 holds the first build, but another was published on top since: publishing it again is new.
    small = first;
    expect((await publish({}))['us-east-1']?.r).toMatchObject({ version: 3, reused: false });
  });

  it('names the missing IAM action and the region when access is denied', async () => {
    fake.deny('lambda:PublishLayerVersion');
    const error = await publish({ regions: 'eu-central-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      /^Access denied in eu-central-1: the AWS credentials in use may not call lambda:PublishLayerVersion on layer r-lambda-r-4_4_1-x86_64\. Grant lambda:PublishLayerVersion/,
    );
    expect(fake.calls('PublishLayerVersion').map((c) => [c.status, c.errorType])).toEqual([
      [403, 'AccessDeniedException'],
    ]);
  });

  it('names lambda:AddLayerVersionPermission when sharing is denied', async () => {
    fake.deny('lambda:AddLayerVersionPermission');
    await expect(publish({ sharing: 'public' })).rejects.toThrow(
      /Access denied in us-east-1: .* may not call lambda:AddLayerVersionPermission on layer r-lambda-r-4_4_1-x86_64 version 1/,
    );
  });

  it('retries throttled calls in the SDK and then succeeds', async () => {
    fake.throttle('PublishLayerVersion', 2);
    const result = await publish({});
    expect(result['us-east-1']?.r?.version).toBe(1);
    expect(fake.calls('PublishLayerVersion').map((c) => c.status)).toEqual([429, 429, 201, 201, 201]);
    expect(fake.layerVersions('us-east-1', nameOf('r'))).toHaveLength(1);
  });

  it('reports throttling that outlasts the retries instead of swallowing it', async () => {
    // Lambda's Retry-After is honoured by the SDK's standard retry strategy.
    fake.throttle('ListLayerVersions', 10, 1);
    const run = publishLayers(parsePublishOptions({ 'out-dir': small.dir, regions: 'us-east-1' }), {
      log: memoryLogger(),
      clientFactory: (region, log) => new AwsLayerPublisher(region, log, 2),
    });
    await expect(run).rejects.toThrow(
      /lambda:ListLayerVersions in us-east-1 was still throttled after 2 attempts/,
    );
    const [first, second] = fake.calls('ListLayerVersions');
    expect(fake.calls('ListLayerVersions')).toHaveLength(2);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(800);
    expect(fake.calls('PublishLayerVersion')).toHaveLength(0);
  });

  it('explains a 413 from Lambda and passes on a 400 message', async () => {
    fake.failNext('PublishLayerVersion', 1, {
      status: 413,
      type: 'RequestEntityTooLargeException',
      message: 'Request must be smaller than 70167211 bytes for the PublishLayerVersion operation',
    });
    await expect(publish({})).rejects.toThrow(/refused the request as too large .* Give an S3 bucket/);
    fake.failNext('PublishLayerVersion', 1, {
      status: 400,
      type: 'InvalidParameterValueException',
      message: 'Unsupported runtime',
    });
    await expect(publish({})).rejects.toThrow(
      'lambda:PublishLayerVersion in us-east-1 failed for layer r-lambda-r-4_4_1-x86_64: InvalidParameterValueException (HTTP 400). AWS said: Unsupported runtime',
    );
  });

  it('makes no request on a dry run', async () => {
    const log = memoryLogger();
    expect(
      await publish({ 'dry-run': 'true', regions: 'us-east-1,eu-west-1', sharing: 'public' }, log),
    ).toEqual({});
    expect(fake.requests).toEqual([]);
    expect(log.lines).toContain(`  eu-west-1  ${nameOf('subsystem')}  4.1 KB  direct upload`);
  });
});

describe('zips over the direct-upload limit', () => {
  let big: Fixture;
  beforeAll(async () => {
    // Random bytes stored without compression: the zip is really over 50 MiB on disk.
    big = await writeFixture(path.join(work, 'big'), {
      payloadBytes: { r_lib: LAMBDA_LIMITS.directUploadZippedBytes + 1024 },
    });
  });

  it('uploads to S3 in parts (path style) and publishes from S3Bucket/S3Key', async () => {
    // A host name rather than an IP: the SDK would address <bucket>.localhost unless path style is forced
    // for an endpoint override, and that name does not resolve.
    process.env['AWS_ENDPOINT_URL_S3'] = fake.url.replace('127.0.0.1', 'localhost');
    const { published: result } = await publishLayers(
      parsePublishOptions({
        'out-dir': big.dir,
        regions: 'eu-west-1',
        's3-bucket': 'layers-{region}',
        's3-prefix': 'builds',
      }),
      { log: memoryLogger() },
    );
    const key = `builds/${nameOf('r_lib')}/${big.manifestSha256}/r_lib.zip`;
    const object = fake.objects.get(`layers-eu-west-1/${key}`);
    expect(big.zips.r_lib.length).toBeGreaterThan(LAMBDA_LIMITS.directUploadZippedBytes);
    expect(object?.bytes.equals(big.zips.r_lib)).toBe(true);
    expect(object?.region).toBe('eu-west-1');
    expect(object?.partSizes?.length).toBeGreaterThan(1);
    expect(fake.calls('UploadPart')).toHaveLength(object!.partSizes!.length);
    expect(fake.calls('CreateMultipartUpload')[0]!.path).toBe(`/layers-eu-west-1/${key}`);
    expect(fake.calls('CompleteMultipartUpload')).toHaveLength(1);

    const fromS3 = fake.calls('PublishLayerVersion').find((c) => c.path.includes('r_lib'))!;
    expect((fromS3.json as { Content: unknown }).Content).toEqual({
      S3Bucket: 'layers-eu-west-1',
      S3Key: key,
    });
    expect(fake.layerVersions('eu-west-1', nameOf('r_lib'))[0]!.zip.equals(big.zips.r_lib)).toBe(true);
    // The small ones still go directly.
    expect(fake.layerVersions('eu-west-1', nameOf('r'))[0]!.source).toEqual({ zipFile: true });
    expect(result['eu-west-1']?.r_lib?.version).toBe(1);
  });

  it('fails before any request when no bucket is given', async () => {
    const run = publishLayers(parsePublishOptions({ 'out-dir': big.dir, regions: 'us-east-1' }), {
      log: memoryLogger(),
    });
    await expect(run).rejects.toThrow(
      /r_lib\.zip \(\d+ bytes\) is over Lambda's 50\.0 MB .* limit for a direct upload\. Give an S3 bucket/,
    );
    expect(fake.requests).toEqual([]);
  });

  it('names s3:GetObject when Lambda may not read the uploaded zip with the caller’s permissions', async () => {
    fake.deny('s3:GetObject');
    const run = publishLayers(
      parsePublishOptions({ 'out-dir': big.dir, regions: 'us-east-1', 's3-bucket': 'bkt' }),
      {
        log: memoryLogger(),
      },
    );
    await expect(run).rejects.toThrow(
      /^Lambda in us-east-1 could not read the uploaded zip for layer r-lambda-r_lib-4_4_1-x86_64 \(from s3:\/\/bkt\/.*\): the AWS credentials in use need s3:GetObject/,
    );
    expect(fake.calls('PublishLayerVersion').at(-1)!.errorType).toBe('InvalidParameterValueException');
  });

  it('names s3:PutObject when the upload is denied', async () => {
    fake.deny('s3:PutObject');
    const run = publishLayers(
      parsePublishOptions({ 'out-dir': big.dir, regions: 'us-east-1', 's3-bucket': 'bkt' }),
      {
        log: memoryLogger(),
      },
    );
    await expect(run).rejects.toThrow(
      /^Access denied in us-east-1: .* may not call s3:PutObject on s3:\/\/bkt\/r-lambda-layer\//,
    );
    expect(fake.calls('PublishLayerVersion').some((c) => c.path.includes('r_lib'))).toBe(false);
  });
});

describe('the CLI', () => {
  function runCli(
    args: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        'npx',
        ['tsx', 'src/cli.ts', 'publish', ...args],
        { cwd: repo, env: { ...process.env, ...fake.env(), ...extraEnv }, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it('publishes to two regions and prints the result JSON on stdout, logs on stderr', async () => {
    const { code, stdout, stderr } = await runCli([
      '--out',
      small.dir,
      '--regions',
      'us-east-1,eu-west-1',
      '--sharing',
      'organization:o-a1b2c3d4e5',
    ]);
    expect(stderr).not.toMatch(/^error:/m);
    expect(code).toBe(0);
    // No third-party banner (the AWS SDK's Node-version notice on Node 20) in the user's output.
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
    const result = JSON.parse(stdout) as PublishResult;
    expect(Object.keys(result)).toEqual(['us-east-1', 'eu-west-1']);
    expect(result['eu-west-1']?.subsystem?.arn).toBe(
      `arn:aws:lambda:eu-west-1:123456789012:layer:${nameOf('subsystem')}:1`,
    );
    expect(stderr).toContain('== Publish to eu-west-1');
    expect(stderr).toContain(`shared ${nameOf('r')}:1 with organization o-a1b2c3d4e5`);
    expect(fake.calls('AddLayerVersionPermission')).toHaveLength(6);
    // The secret key is in the child's environment; it must never reach the output.
    expect(stdout + stderr).not.toContain(fake.env()['AWS_SECRET_ACCESS_KEY']);
  });

  it('prints the plan on --dry-run and makes no request', async () => {
    const { code, stdout, stderr } = await runCli([
      '--out',
      small.dir,
      '--regions',
      'us-east-1',
      '--dry-run',
    ]);
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      manifestSha256: string;
      regions: { layers: { layerName: string }[] }[];
    };
    expect(plan.manifestSha256).toBe(small.manifestSha256);
    expect(plan.regions[0]!.layers.map((l) => l.layerName)).toEqual(KINDS.map((k) => nameOf(k)));
    expect(stderr).toContain('dry run: nothing is published');
    expect(fake.requests).toEqual([]);
  });

  it('exits 1 with a one-line message naming the missing action, no stack trace', async () => {
    fake.deny('lambda:ListLayerVersions');
    const { code, stdout, stderr } = await runCli(['--out', small.dir, '--regions', 'us-west-2']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: Access denied in us-west-2: .* may not call lambda:ListLayerVersions/m);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('rejects a bad input naming the flag and the accepted form', async () => {
    const { code, stderr } = await runCli([
      '--out',
      small.dir,
      '--regions',
      'us-east-1',
      '--sharing',
      'friends',
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'error: sharing (--sharing): "friends" is not a sharing mode; use private | public',
    );
    expect(fake.requests).toEqual([]);
  });
});
