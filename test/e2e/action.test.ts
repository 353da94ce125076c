/**
 * The action's entry run as GitHub runs it, but outside Actions: a child process with INPUT_* variables (uppercase,
 * dashes kept) and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY pointing at temporary files. The full build uses the local
 * source mirror (scripts/fill-mirror.sh) and the stage cache shared with the CLI's tests, so it is fast once warm.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localMirror, repoRoot, toolHome } from '../support/mirror.js';

interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  seconds: number;
}

const entries: [string, string[]][] = [
  ['tsx src/index.ts', [path.join(repoRoot, 'node_modules', '.bin', 'tsx'), 'src/index.ts']],
];
if (existsSync(path.join(repoRoot, 'dist', 'index.js')))
  entries.push(['node dist/index.js', [process.execPath, 'dist/index.js']]);

/** What GitHub's runner would not set outside a job, and what a CI job running these tests must not leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** core.setOutput writes `name<<DELIM\nvalue\nDELIM` blocks to $GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i] ?? '');
    outputs[m[1] ?? ''] = value.join('\n');
  }
  return outputs;
}

async function runAction(
  command: string[],
  inputs: Record<string, string>,
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 30 * 60_000,
): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'action-run-'));
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const started = performance.now();
  const [file = '', ...args] = command;
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(file, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? 1, stdout, stderr });
        });
      },
    );
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputs(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

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
      '::error::r-version: "4.x" is not a valid R version; use an exact version such as 4.4.1',
    );
    expect(await readdir(out)).toEqual([]);
    expect(run.outputs).toEqual({});
  }, 180_000);

  it('in an Actions job outside amazonlinux:2023, stops and shows the container line to add', async () => {
    const run = await runAction(
      command,
      { 'r-version': '4.2.2', 'out-dir': out, 'install-toolchain': 'false' },
      { GITHUB_ACTIONS: 'true' },
      120_000,
    );
    if (/^ID="?amzn"?$/m.test(readFileSync('/etc/os-release', 'utf8'))) return; // this machine is the right host
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('container: amazonlinux:2023');
    expect(run.stdout).toContain('allow-any-host: true');
    expect(await readdir(out)).toEqual([]);
  }, 180_000);
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
      const inputs = {
        'r-version': mirror.rVersion,
        'source-overrides': mirror.overrides,
        'cran-repo': mirror.cranRepo,
        packages: 'xml2',
        'install-toolchain': 'false',
        'allow-any-host': 'true',
        prefix: '/opt',
        'out-dir': out,
        'cache-dir': path.join(toolHome(), 'cache'),
        'work-dir': work,
      };
      const run = await runAction(command, inputs);
      const log = `${run.stdout}\n${run.stderr}`;
      if (run.code !== 0) console.error(log.slice(-6000));
      expect(run.code).toBe(0);
      console.log(`${_name}: ${run.seconds.toFixed(0)} s; cache hits ${run.outputs['cache-hits']}`);

      expect(run.stdout).toContain('::notice::Not running in GitHub Actions (no ACTIONS_RUNTIME_TOKEN)');
      expect(run.stdout).toContain(`the files of "r-lambda-layers-${mirror.rVersion}-`);
      expect((await readdir(out)).sort()).toEqual(['manifest.json', 'r.zip', 'r_lib.zip', 'subsystem.zip']);

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
      expect(run.summary).toContain('| R | ');
      expect(run.summary).toContain('### Layer sizes');
    },
    45 * 60_000,
  );
});
