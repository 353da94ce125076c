/**
 * The action's publish mode end to end: the entry run outside GitHub Actions with INPUT_* variables, building from
 * the local mirror (as action.test.ts's full build does) and publishing with the real AWS SDK to the local fake
 * (test/support/fake-aws.ts), reached through AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL_S3 with dummy credentials.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PublishResult } from '../../src/publish/index.js';
import { actionEntries, mirrorBuildInputs, runAction, type ActionRun } from '../support/action-runner.js';
import { startFakeAws, type FakeAws } from '../support/fake-aws.js';

const REGIONS = ['eu-west-1', 'us-east-1'];
const KINDS = ['r', 'r_lib', 'subsystem'] as const;
const ACCOUNT = '123456789012';

/** The fake's endpoints and dummy credentials, and nothing from the machine's own AWS setup. */
function awsEnv(fake: FakeAws): NodeJS.ProcessEnv {
  return {
    ...fake.env(),
    AWS_PROFILE: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_ROLE_ARN: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_DEFAULT_REGION: undefined,
  };
}

function failed(run: ActionRun): string {
  return `exit ${run.code}\n${`${run.stdout}\n${run.stderr}`.slice(-6000)}`;
}

describe.each(actionEntries)(
  'the action (%s) with publish: true outside GitHub Actions',
  (entry, command) => {
    let fake: FakeAws;
    let out: string;
    let work: string;
    let inputs: Record<string, string>;
    let first: { run: ActionRun; result: PublishResult } | undefined;

    beforeAll(async () => {
      fake = await startFakeAws({ accountId: ACCOUNT });
      out = await mkdtemp(path.join(os.tmpdir(), 'action-publish-out-'));
      work = await mkdtemp(path.join(os.tmpdir(), 'action-publish-work-'));
      inputs = {
        ...mirrorBuildInputs(out, work),
        publish: 'true',
        regions: REGIONS.join(','),
        sharing: `account:${ACCOUNT}`,
      };
    });
    afterAll(async () => {
      await fake.close();
      await rm(out, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    });

    it('stops before any build work when publish is true and no regions are given', async () => {
      const empty = await mkdtemp(path.join(os.tmpdir(), 'action-publish-noregion-'));
      try {
        const { regions: _dropped, ...withoutRegions } = inputs;
        const run = await runAction(
          command,
          { ...withoutRegions, 'out-dir': empty, 'work-dir': path.join(empty, 'work') },
          awsEnv(fake),
          120_000,
        );
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(
          /^::error::regions \(--regions\): no region given; publishing needs at least one/m,
        );
        // Inputs are checked first: no host check, no build, no zips, no AWS call.
        expect(run.stdout).not.toContain('::group::Host and backends');
        expect(await readdir(empty)).toEqual([]);
        expect(run.outputs).toEqual({});
        expect(fake.requests).toEqual([]);
      } finally {
        await rm(empty, { recursive: true, force: true });
      }
    }, 180_000);

    it('builds from the mirror, publishes to two regions, shares, and reports the ARNs', async () => {
      const run = await runAction(command, inputs, awsEnv(fake));
      if (run.code !== 0) console.error(failed(run));
      expect(run.code).toBe(0);
      console.log(`${entry}: build and publish in ${run.seconds.toFixed(0)} s`);
      expect((await readdir(out)).sort()).toEqual([
        'manifest.json',
        'r.zip',
        'r_lib.zip',
        'sbom.cdx.json',
        'subsystem.zip',
      ]);

      // layer-arns maps each region to the three layers, with the ARNs the fake issued.
      const result = JSON.parse(run.outputs['layer-arns'] ?? '') as PublishResult;
      expect(Object.keys(result)).toEqual(REGIONS);
      const issued = new Map(fake.allLayerVersions().map((v) => [v.arn, v]));
      expect(issued.size).toBe(REGIONS.length * KINDS.length);
      for (const region of REGIONS) {
        expect(Object.keys(result[region] ?? {}).sort()).toEqual([...KINDS]);
        for (const kind of KINDS) {
          const layer = result[region]?.[kind];
          const stored = issued.get(layer?.arn ?? '');
          expect(stored).toBeDefined();
          expect(stored!.region).toBe(region);
          expect(stored!.layerName).toContain(kind === 'r' ? '-r-' : `-${kind}-`);
          expect(layer).toEqual({ arn: stored!.arn, version: 1, layerArn: stored!.layerArn, reused: false });
          expect(stored!.arn).toMatch(new RegExp(`^arn:aws:lambda:${region}:${ACCOUNT}:layer:[\\w-]+:1$`));
          // Sent as ZipFile: what Lambda decoded is the zip on disk, byte for byte.
          const zip = await readFile(path.join(out, `${kind}.zip`));
          expect(stored!.source).toEqual({ zipFile: true });
          expect(stored!.zip.equals(zip)).toBe(true);
          expect(stored!.statements.map((s) => [s.Sid, s.Principal])).toEqual([
            [`r-lambda-layer-account-${ACCOUNT}`, { AWS: `arn:aws:iam::${ACCOUNT}:root` }],
          ]);
        }
      }

      // Three PublishLayerVersion calls per region, signed for that region, each carrying the whole zip in base64.
      for (const region of REGIONS) {
        const publishes = fake.calls('PublishLayerVersion').filter((c) => c.region === region);
        expect(publishes.map((c) => c.status)).toEqual([201, 201, 201]);
        for (const call of publishes) {
          expect(call.headers['authorization']).toMatch(
            new RegExp(
              `^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKE0000/\\d{8}/${region}/lambda/aws4_request,`,
            ),
          );
          const layerName = call.path.split('/')[3];
          const kind = KINDS.find((k) => result[region]?.[k]?.arn.includes(`:layer:${layerName}:`));
          expect(kind).toBeDefined();
          const bytes = (await readFile(path.join(out, `${kind}.zip`))).length;
          expect(call.json).toMatchObject({
            Content: { ZipFile: `<base64: ${4 * Math.ceil(bytes / 3)} chars>` },
            CompatibleRuntimes: ['provided.al2023'],
          });
        }
        const grants = fake.calls('AddLayerVersionPermission').filter((c) => c.region === region);
        expect(grants.map((c) => [c.status, c.json])).toEqual(
          KINDS.map(() => [
            201,
            {
              StatementId: `r-lambda-layer-account-${ACCOUNT}`,
              Action: 'lambda:GetLayerVersion',
              Principal: ACCOUNT,
            },
          ]),
        );
      }
      expect(fake.requests.filter((c) => c.status < 200 || c.status >= 300)).toEqual([]);

      // The job summary names every ARN; the secret key never reaches the log.
      expect(run.summary).toContain('### Published layers');
      for (const arn of issued.keys()) expect(run.summary).toContain(arn);
      expect(run.stdout + run.stderr).not.toContain(fake.env()['AWS_SECRET_ACCESS_KEY']);
      first = { run, result };
    });

    it('reuses the published layers when run again on the same build', async () => {
      expect(first).toBeDefined();
      const before = fake.requests.length;
      const run = await runAction(command, inputs, awsEnv(fake));
      if (run.code !== 0) console.error(failed(run));
      expect(run.code).toBe(0);

      const again = fake.requests.slice(before);
      expect(again.filter((c) => c.operation === 'PublishLayerVersion')).toEqual([]);
      expect(fake.allLayerVersions()).toHaveLength(REGIONS.length * KINDS.length);
      const result = JSON.parse(run.outputs['layer-arns'] ?? '') as PublishResult;
      for (const region of REGIONS) {
        for (const kind of KINDS) {
          expect(result[region]?.[kind]).toEqual({ ...first!.result[region]![kind]!, reused: true });
          expect(run.summary).toContain(result[region]![kind]!.arn);
        }
      }
      expect(`${run.stdout}\n${run.stderr}`).toMatch(/reusing arn:aws:lambda:eu-west-1:/);
      expect(run.summary).toContain('reused');
    });
  },
);
