/**
 * The action's entry run as GitHub runs it, but outside Actions: a child process with INPUT_* variables (uppercase,
 * dashes kept) and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY pointing at temporary files. The full build uses the local
 * source mirror (scripts/fill-mirror.sh) and the stage cache shared with the CLI's tests, so it is fast once warm.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { actionEntries as entries, mirrorBuildInputs, runAction } from '../support/action-runner.js';
import { localMirror } from '../support/mirror.js';

describe.each(entries)('the action (%s) outside GitHub Actions', (_name, command) => {
  let out: string;
  beforeEach(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'action-out-'));
  });
  afterEach(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('stops on a bad input with exit code 1 and a message naming the input, writing no zips', async () => {
    const run = await runAction(
      command,
      { 'r-version': '4.x', 'out-dir': out, 'install-toolchain': 'false' },
      {},
      120_000,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '::error::r-version (--r-version): "4.x" is not a valid R version; use an exact version such as 4.4.1',
    );
    expect(await readdir(out)).toEqual([]);
    expect(run.outputs).toEqual({});
  }, 180_000);

  it('reports an unexpected error as such, with its detail in the debug log', async () => {
    // out-dir naming a file is not (yet) checked up front: clearing the old zips meets ENOTDIR, a raw Node error.
    const file = path.join(out, 'a-file');
    await writeFile(file, '');
    const run = await runAction(
      command,
      { 'r-version': '4.5.2', 'out-dir': file, 'install-toolchain': 'false', 'allow-any-host': 'true' },
      {},
      120_000,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /::error::Error: ENOTDIR: not a directory.*\(an unexpected error; its stack and causes are in the debug log\)/,
    );
    // The detail goes to the debug log (shown with ACTIONS_STEP_DEBUG). Node's fs/promises errors carry no stack
    // frames, so here it is the error line itself; failureReport's stacks and causes are unit-tested (errors.test.ts).
    expect(run.stdout).toMatch(/::debug::Error: ENOTDIR: not a directory, lstat '.*a-file\/r\.zip'/);
  }, 180_000);

  // On Amazon Linux the host check passes and the action would go on to build, so the test is reported as skipped
  // there (the decision itself is unit-tested for both hosts in test/unit/action/environment.test.ts).
  const onAmazonLinux = /^ID="?amzn"?$/m.test(readFileSync('/etc/os-release', 'utf8'));
  (onAmazonLinux ? it.skip : it)(
    'in an Actions job outside amazonlinux:2023, stops and shows the container line to add',
    async () => {
      const run = await runAction(
        command,
        { 'r-version': '4.2.2', 'out-dir': out, 'install-toolchain': 'false' },
        { GITHUB_ACTIONS: 'true' },
        120_000,
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('container: amazonlinux:2023');
      expect(run.stdout).toContain('allow-any-host: true');
      expect(await readdir(out)).toEqual([]);
    },
    180_000,
  );
});

describe('the action builds the layers from the local mirror', () => {
  let out: string;
  let work: string;
  beforeAll(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'action-layers-'));
    work = await mkdtemp(path.join(os.tmpdir(), 'action-work-'));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it.each(entries)(
    'with %s: writes the zips, manifest.json, every output and the job summary',
    async (_name, command) => {
      const mirror = localMirror();
      const inputs = mirrorBuildInputs(out, work);
      const run = await runAction(command, inputs);
      const log = `${run.stdout}\n${run.stderr}`;
      if (run.code !== 0) console.error(log.slice(-6000));
      expect(run.code).toBe(0);
      console.log(`${_name}: ${run.seconds.toFixed(0)} s; cache hits ${run.outputs['cache-hits']}`);

      expect(run.stdout).toContain('::notice::Not running in GitHub Actions (no ACTIONS_RUNTIME_TOKEN)');
      expect(run.stdout).toContain(`the files of "r-lambda-layers-${mirror.rVersion}-`);
      expect((await readdir(out)).sort()).toEqual([
        'manifest.json',
        'r.zip',
        'r_lib.zip',
        'sbom.cdx.json',
        'subsystem.zip',
      ]);

      const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
        rVersion: string;
        architecture: string;
        rPackages: { name: string; library: string }[];
        lambdaCompatible: boolean;
      };
      expect(manifest.rVersion).toBe(mirror.rVersion);
      expect(manifest.rPackages).toContainEqual(expect.objectContaining({ name: 'xml2', library: 'site' }));

      const o = run.outputs;
      expect(o['r-version']).toBe(mirror.rVersion);
      expect(o['r-zip']).toBe(path.join(out, 'r.zip'));
      expect(o['r-lib-zip']).toBe(path.join(out, 'r_lib.zip'));
      expect(o['subsystem-zip']).toBe(path.join(out, 'subsystem.zip'));
      expect(o.manifest).toBe(path.join(out, 'manifest.json'));
      expect(o.sbom).toBe(path.join(out, 'sbom.cdx.json'));
      const sizes = JSON.parse(o.sizes ?? '{}') as Record<string, { zippedBytes: number }>;
      expect(Object.keys(sizes).sort()).toEqual(['r', 'r_lib', 'subsystem']);
      expect(sizes.r?.zippedBytes).toBe((await readFile(path.join(out, 'r.zip'))).length);
      const hits = JSON.parse(o['cache-hits'] ?? '{}') as Record<string, boolean>;
      expect(Object.keys(hits)).toEqual(expect.arrayContaining(['openssl', 'curl', 'R']));
      expect(o['layer-arns']).toBe('{}');
      expect(o['lambda-compatible']).toBe(String(manifest.lambdaCompatible));
      expect(o['artifact-name']).toBe(`r-lambda-layers-${mirror.rVersion}-${manifest.architecture}`);

      expect(run.summary).toContain(`## R ${mirror.rVersion} for AWS Lambda (${manifest.architecture})`);
      expect(run.summary).toContain('### Stages');
      expect(run.summary).toMatch(
        /### Packages in r_lib \(\d+\)\n\n\| Package \| Version \| Source tarball \|/,
      );
      expect(run.summary).toMatch(
        /\| xml2 \| [0-9.-]+ \| xml2_[0-9.-]+\.tar\.gz \(sha256 [0-9a-f]{12}…\) \|/,
      );
      expect(run.summary).toContain('| R | ');
      expect(run.summary).toContain('### Layer sizes');
    },
    45 * 60_000,
  );
});
