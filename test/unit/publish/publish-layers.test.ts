import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import { memoryLogger } from '../../../src/log.js';
import { parsePublishOptions } from '../../../src/publish/options.js';
import { publishLayers } from '../../../src/publish/publish-layers.js';
import type {
  ExistingLayerVersion,
  GrantOutcome,
  LayerPublisher,
  PublishedVersion,
  PublishLayerRequest,
} from '../../../src/publish/publisher.js';
import type { SharingGrant } from '../../../src/publish/sharing.js';
import { writeFixture, type Fixture } from '../../support/publish-fixture.js';

interface GrantRecord {
  region: string;
  layerName: string;
  version: number;
  grant: SharingGrant;
}

/** Layers kept in memory per region: the orchestration's view of Lambda, without the SDK. */
class MemoryPublisher implements LayerPublisher {
  readonly calls: string[] = [];
  codeShaOverride: string | undefined;

  constructor(
    readonly region: string,
    private readonly store: Map<string, ExistingLayerVersion[]>,
    private readonly grants: GrantRecord[] = [],
  ) {}

  async storedCodeSha256(layerName: string, version: number): Promise<string | undefined> {
    this.calls.push(`get ${layerName}:${version}`);
    return codeShas.get(`${this.region}/${layerName}:${version}`);
  }

  async latestVersion(layerName: string): Promise<ExistingLayerVersion | undefined> {
    this.calls.push(`list ${layerName}`);
    return this.store.get(`${this.region}/${layerName}`)?.at(-1);
  }

  async uploadToS3(bucket: string, key: string): Promise<void> {
    this.calls.push(`upload s3://${bucket}/${key}`);
  }

  async publish(request: PublishLayerRequest): Promise<PublishedVersion> {
    this.calls.push(`publish ${request.layerName}`);
    const key = `${this.region}/${request.layerName}`;
    const versions = this.store.get(key) ?? [];
    const version = versions.length + 1;
    const layerArn = `arn:aws:lambda:${this.region}:1:layer:${request.layerName}`;
    const stored = { version, arn: `${layerArn}:${version}`, layerArn, description: request.description };
    this.store.set(key, [...versions, stored]);
    const codeSha256 =
      this.codeShaOverride ??
      ('zipFile' in request.content
        ? createHash('sha256').update(request.content.zipFile).digest('base64')
        : undefined);
    if (codeSha256 !== undefined) codeShas.set(`${key}:${version}`, codeSha256);
    return { version, arn: stored.arn, layerArn, codeSha256 };
  }

  async grant(layerName: string, version: number, grant: SharingGrant): Promise<GrantOutcome> {
    this.calls.push(`grant ${layerName}:${version} ${grant.kind}`);
    const seen = this.grants.some(
      (g) =>
        g.region === this.region &&
        g.layerName === layerName &&
        g.version === version &&
        g.grant.kind === grant.kind,
    );
    this.grants.push({ region: this.region, layerName, version, grant });
    return seen ? 'present' : 'added';
  }
}

let dir: string;
let fixture: Fixture;
let store: Map<string, ExistingLayerVersion[]>;
/** What "Lambda" stored per `region/layer:version`, as base64 SHA-256. */
let codeShas: Map<string, string>;
let grants: GrantRecord[];
let publishers: MemoryPublisher[];

const factory = (region: string): LayerPublisher => {
  const publisher = new MemoryPublisher(region, store, grants);
  publishers.push(publisher);
  return publisher;
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'publish-layers-'));
  fixture = await writeFixture(dir);
  store = new Map();
  codeShas = new Map();
  grants = [];
  publishers = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('publishLayers', () => {
  it('publishes each layer in each region and returns ARNs and versions by region and kind', async () => {
    const log = memoryLogger();
    const result = await publishLayers(parsePublishOptions({ out: dir, regions: 'us-east-1,eu-west-1' }), {
      log,
      clientFactory: factory,
    });
    expect(Object.keys(result)).toEqual(['us-east-1', 'eu-west-1']);
    expect(result['eu-west-1']?.r_lib).toEqual({
      arn: 'arn:aws:lambda:eu-west-1:1:layer:r-lambda-r_lib-4_4_1-x86_64:1',
      version: 1,
      layerArn: 'arn:aws:lambda:eu-west-1:1:layer:r-lambda-r_lib-4_4_1-x86_64',
      reused: false,
    });
    expect(publishers.map((p) => p.region)).toEqual(['us-east-1', 'eu-west-1']);
    expect(publishers[0]!.calls.filter((c) => c.startsWith('publish'))).toHaveLength(3);
    expect(log.lines).toContain('== Publish to eu-west-1');
  });

  it('reuses the newest version when it carries the same manifest sha, and says so', async () => {
    const options = parsePublishOptions({ out: dir, regions: 'us-east-1' });
    await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    const log = memoryLogger();
    const again = await publishLayers(options, { log, clientFactory: factory });
    expect(publishers[1]!.calls.filter((c) => c.startsWith('publish'))).toEqual([]);
    expect(again['us-east-1']?.r).toMatchObject({ version: 1, reused: true });
    expect(
      log.lines.some((l) =>
        l.startsWith('reusing arn:aws:lambda:us-east-1:1:layer:r-lambda-r-4_4_1-x86_64:1'),
      ),
    ).toBe(true);
  });

  it('publishes again when only an older version holds this build', async () => {
    const options = parsePublishOptions({ out: dir, regions: 'us-east-1' });
    await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    // Someone published another build on top since.
    const key = 'us-east-1/r-lambda-r-4_4_1-x86_64';
    const layerArn = 'arn:aws:lambda:us-east-1:1:layer:r-lambda-r-4_4_1-x86_64';
    store.set(key, [
      ...store.get(key)!,
      { version: 2, arn: `${layerArn}:2`, layerArn, description: `manifest sha256:${'f'.repeat(64)}` },
    ]);
    const result = await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    expect(result['us-east-1']?.r).toMatchObject({ version: 3, reused: false });
    expect(result['us-east-1']?.subsystem).toMatchObject({ version: 1, reused: true });
  });

  it('applies every sharing grant, to reused versions too', async () => {
    const options = parsePublishOptions({
      out: dir,
      regions: 'us-east-1',
      sharing: 'account:111122223333,organization:o-a1b2c3d4e5',
    });
    await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    const log = memoryLogger();
    await publishLayers(options, { log, clientFactory: factory });
    expect(publishers[1]!.calls.filter((c) => c.startsWith('grant'))).toHaveLength(6);
    expect(log.lines).toContain('already shared r-lambda-r-4_4_1-x86_64:1 with organization o-a1b2c3d4e5');
  });

  it('makes no grant when private', async () => {
    await publishLayers(parsePublishOptions({ out: dir, regions: 'us-east-1' }), {
      log: memoryLogger(),
      clientFactory: factory,
    });
    expect(grants).toEqual([]);
    expect(publishers[0]!.calls.filter((c) => c.startsWith('grant'))).toEqual([]);
  });

  it('on a dry run logs the plan and never builds a publisher', async () => {
    const log = memoryLogger();
    const result = await publishLayers(
      parsePublishOptions({ out: dir, regions: 'us-east-1', dryRun: 'true' }),
      { log, clientFactory: factory },
    );
    expect(result).toEqual({});
    expect(publishers).toEqual([]);
    expect(log.lines[0]).toBe('== Publish plan (dry run: nothing is published)');
    expect(log.lines.join('\n')).toContain(`manifest sha256 ${fixture.manifestSha256}`);
  });

  it('fails when Lambda reports a different hash than the zip sent', async () => {
    const factoryWithBadSha = (region: string): LayerPublisher => {
      const publisher = new MemoryPublisher(region, store);
      publisher.codeShaOverride = 'AAAA';
      return publisher;
    };
    const run = publishLayers(parsePublishOptions({ out: dir, regions: 'us-east-1' }), {
      log: memoryLogger(),
      clientFactory: factoryWithBadSha,
    });
    await expect(run).rejects.toThrow(UserError);
    await expect(
      publishLayers(parsePublishOptions({ out: dir, regions: 'us-east-1' }), {
        log: memoryLogger(),
        clientFactory: factoryWithBadSha,
      }),
    ).rejects.toThrow(/CodeSha256 AAAA, but the zip has/);
  });
  it('checks what Lambda stored before reusing a version', async () => {
    const options = parsePublishOptions({ out: dir, regions: 'us-east-1' });
    await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    expect(publishers[1]!.calls).toContain('get r-lambda-r-4_4_1-x86_64:1');
    expect(publishers[1]!.calls.filter((c) => c.startsWith('publish'))).toEqual([]);
  });

  it('publishes again, saying why, when the version with this build’s sha holds other bytes', async () => {
    const options = parsePublishOptions({ out: dir, regions: 'us-east-1' });
    await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    // A bad upload: the version is labelled with this build but Lambda stored something else.
    codeShas.set('us-east-1/r-lambda-r-4_4_1-x86_64:1', 'c29tZXRoaW5nIGVsc2U=');
    const log = memoryLogger();
    const result = await publishLayers(options, { log, clientFactory: factory });
    expect(result['us-east-1']?.r).toMatchObject({ version: 2, reused: false });
    expect(result['us-east-1']?.r_lib).toMatchObject({ version: 1, reused: true });
    const zipSha = Buffer.from(fixture.manifest.layers[0]!.sha256, 'hex').toString('base64');
    expect(log.lines).toContain(
      `warning: r-lambda-r-4_4_1-x86_64 in us-east-1: version 1 is labelled with this build (manifest ` +
        `${fixture.manifestSha256.slice(0, 12)}) but Lambda stored other bytes (CodeSha256 c29tZXRoaW5nIGVsc2U=, ` +
        `the zip has ${zipSha}), as after a corrupted upload. Publishing a new version instead of reusing it.`,
    );
    // The next run reuses the good version 2.
    const third = await publishLayers(options, { log: memoryLogger(), clientFactory: factory });
    expect(third['us-east-1']?.r).toMatchObject({ version: 2, reused: true });
  });
});
