/**
 * The project's own workflow checks (scripts/workflow-checks.ts): each fed a workflow that breaks its rule and one
 * that keeps it, plus the real pin table and the real workflows, which must pass them all.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  checkWorkflow,
  markdownWorkflows,
  parsePins,
  pipingLines,
  type CheckContext,
  type CheckName,
} from '../../../scripts/workflow-checks.js';

const root = process.cwd();
const pins = parsePins(readFileSync(path.join(root, 'data', 'github-actions-pins.tsv'), 'utf8'));
const called = `
on: { workflow_call: {} }
permissions: { contents: read }
jobs:
  build: { runs-on: x, steps: [{ run: 'true' }] }
  attest:
    if: false
    runs-on: x
    permissions: { contents: read, id-token: write, attestations: write }
    steps: [{ run: 'true' }]
`;
const ctx: CheckContext = {
  pins,
  self: 'r-lambda-layer',
  readWorkflow: (p) => (p === '.github/workflows/called.yml' ? called : undefined),
};
const run = (check: CheckName, text: string) =>
  checkWorkflow({ file: 'w.yml', text }, ctx, [check]).map((f) => `${f.line}: ${f.message}`);
const steps = (...lines: string[]) =>
  ['on: push', 'jobs:', '  a:', '    runs-on: ubuntu-latest', '    steps:', ...lines].join('\n');

describe('pin', () => {
  it('fails a commit that is not the one listed for the tag in its comment, a tag pin and a missing comment', () => {
    const text = steps(
      '      - uses: actions/attest-build-provenance@977bb373ede98d70efbf0b7b13af9c3d6651dc60 # v4.1.0',
      '      - uses: actions/checkout@v5',
      '      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1',
      '      - uses: actions/attest-build-provenance@977bb373ede98d70efdf65b84cb5f73e068dcc2a # v4.1.0',
      '      - uses: someone/unknown@3d3c42e5aac5ba805825da76410c181273ba90b1 # v1.0.0',
    );
    expect(run('pin', text)).toEqual([
      '6: uses: actions/attest-build-provenance@977bb373ede98d70efbf0b7b13af9c3d6651dc60 # v4.1.0: v4.1.0 is a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32 in data/github-actions-pins.tsv, and 977bb373ede98d70efbf0b7b13af9c3d6651dc60 is no listed release: a commit that is no release fails at "Set up job"',
      expect.stringMatching(
        /^7: uses: actions\/checkout@v5: not pinned to a commit; .* e\.g\. actions\/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7\.0\.1$/,
      ),
      '8: uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: no "# vX.Y.Z" comment naming the release this commit is (v7.0.1)',
      '9: uses: actions/attest-build-provenance@977bb373ede98d70efdf65b84cb5f73e068dcc2a # v4.1.0: v4.1.0 is a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32 in data/github-actions-pins.tsv, and 977bb373ede98d70efdf65b84cb5f73e068dcc2a is v3.0.0',
      expect.stringMatching(/^10: .*someone\/unknown is not in data\/github-actions-pins\.tsv/),
    ]);
  });

  it('passes listed commits with their tags, local actions and this project by any tag', () => {
    const text = steps(
      '      - uses: actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32 # v4.1.0',
      '      - uses: ./.r-lambda-layer',
      '      - uses: org/r-lambda-layer@v1',
      '      - uses: docker://alpine:3',
    );
    expect(run('pin', text)).toEqual([]);
  });
});

describe('node20', () => {
  it('fails a node20 release and names the newest node24 one', () => {
    const text = steps(
      '      - uses: actions/upload-artifact@330a01c490aca151604b8cf639adc76d48f6c5d4 # v5.0.0',
    );
    expect(run('node20', text)).toEqual([
      '6: uses: actions/upload-artifact@330a01c490aca151604b8cf639adc76d48f6c5d4 # v5.0.0: actions/upload-artifact v5.0.0 runs on node20 (deprecated: forced onto node24 with warnings); e.g. actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0',
    ]);
  });

  it('passes node24 and composite releases', () => {
    const text = steps(
      '      - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0',
      '      - uses: actions/attest-sbom@c604332985a26aa8cf1bdc465b92731239ec6b9e # v4.1.0',
    );
    expect(run('node20', text)).toEqual([]);
  });
});

describe('permissions', () => {
  const caller = (permissions: string) =>
    [
      'on: push',
      'permissions: { contents: read }',
      'jobs:',
      '  b:',
      `    ${permissions}`,
      '    uses: ./.github/workflows/called.yml',
    ].join('\n');

  it('fails a caller that grants less than a called job asks for, even one that is skipped (if: false)', () => {
    expect(run('permissions', caller('permissions: { contents: read, id-token: write }'))).toEqual([
      '5: job b calls .github/workflows/called.yml granting { contents: read, id-token: write }, but its jobs ask for attestations: write (attest); GitHub refuses the whole run at start-up, even when those jobs would be skipped. Grant: permissions: { contents: read, id-token: write, attestations: write }',
    ]);
    // Without a job-level key the workflow's own (contents: read) is what the called jobs get.
    expect(run('permissions', caller('name: x'))).toEqual([
      expect.stringMatching(
        /^6: job b calls .* granting \{ contents: read \}, but its jobs ask for id-token: write \(attest\), attestations: write \(attest\);/,
      ),
    ]);
  });

  it('passes a caller that grants the union, and one that calls this project by its published path', () => {
    expect(
      run('permissions', caller('permissions: { contents: read, id-token: write, attestations: write }')),
    ).toEqual([]);
    const remote =
      caller('permissions: write-all').replace('./.github', 'org/r-lambda-layer/.github') + '@v1';
    expect(run('permissions', remote)).toEqual([]);
  });
});

describe('pipefail', () => {
  it('fails a pipe under the default shell (bash -e, no pipefail) and under shell: sh', () => {
    expect(run('pipefail', steps('      - run: |', '          node x.js | tee out.json'))).toEqual([
      expect.stringMatching(
        /^6: job a, step #1: "node x\.js \| tee out\.json" pipes, but the step runs as bash -e \{0\}, without pipefail/,
      ),
    ]);
    expect(run('pipefail', steps('      - shell: sh', '        run: a | b'))).toEqual([
      expect.stringMatching(/^7: .* runs with shell: sh, without pipefail/),
    ]);
  });

  it('passes shell: bash on the step, in job or workflow defaults, set -o pipefail, and scripts that do not pipe', () => {
    expect(run('pipefail', steps('      - shell: bash', '        run: a | b'))).toEqual([]);
    const withDefaults = steps('      - run: a | b').replace(
      'on: push',
      'on: push\ndefaults: { run: { shell: bash } }',
    );
    expect(run('pipefail', withDefaults)).toEqual([]);
    expect(
      run('pipefail', steps('      - run: |', '          set -euo pipefail', '          a | b')),
    ).toEqual([]);
    expect(run('pipefail', steps('      - run: |', '          a || b; echo \'x|y\' "|" # c | d'))).toEqual(
      [],
    );
  });

  it('finds pipes in code only, not in quotes, comments, || or here-documents', () => {
    expect(pipingLines("echo 'a | b'\ncat <<'EOF'\nx | y\nEOF\ntrue || false # a | b\nls | wc -l")).toEqual([
      'ls | wc -l',
    ]);
  });
});

describe('expression', () => {
  it('fails ${{ }} in a run script and passes one given through env:', () => {
    expect(run('expression', steps("      - run: echo '${{ steps.x.outputs.sizes }}'"))).toEqual([
      '6: job a, step #1: a ${{ }} expression is pasted into the script; pass it through env:',
    ]);
    expect(
      run(
        'expression',
        steps('      - env: { S: "${{ steps.x.outputs.sizes }}" }', '        run: echo "$S"'),
      ),
    ).toEqual([]);
  });
});

describe('artifact-name', () => {
  const reusable = (name: string) =>
    [
      'on: { workflow_call: { inputs: { artifact-prefix: { type: string } } } }',
      'jobs:',
      '  a:',
      '    strategy: { matrix: { v: [1, 2] } }',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0',
      `        with: { name: "${name}", path: x }`,
      '      - uses: ./',
      `        with: { artifact-name: "${name}" }`,
    ].join('\n');

  it('fails a name without a matrix value in a matrix job, or without an input in a reusable workflow', () => {
    expect(run('artifact-name', reusable('layers-${{ matrix.v }}'))).toEqual([
      expect.stringMatching(
        /^8: job a, step .*: artifact name "layers-\$\{\{ matrix\.v \}\}" has no input in it, so a run that calls this workflow twice/,
      ),
      expect.stringMatching(/^10: .*no input in it/),
    ]);
    expect(run('artifact-name', reusable('${{ inputs.artifact-prefix }}-layers'))).toEqual([
      expect.stringMatching(
        /^8: .*has no matrix value in it, so every leg of the matrix uploads under the same name/,
      ),
      expect.stringMatching(/^10: .*no matrix value/),
    ]);
  });

  it('passes a name with both', () => {
    expect(run('artifact-name', reusable('${{ inputs.artifact-prefix }}-${{ matrix.v }}'))).toEqual([]);
  });
});

describe('markdownWorkflows', () => {
  it("finds the README's yaml blocks that have jobs, with the line each starts on", () => {
    const md = [
      '# t',
      '```yaml',
      'jobs:',
      '  a: {}',
      '```',
      '```yaml',
      'x: 1',
      '```',
      '```sh',
      'jobs:',
      '```',
    ].join('\n');
    expect(markdownWorkflows(md, 'README.md')).toEqual([
      { file: 'README.md', text: 'jobs:\n  a: {}', firstLine: 3 },
    ]);
  });
});

describe('the pin table', () => {
  it('parses, and refuses a row without a full commit', () => {
    expect(pins.length).toBeGreaterThan(10);
    expect(() => parsePins('action\ttag\tcommit\truns.using\na/b\tv1\tabc\tnode24\n')).toThrow(
      /github-actions-pins\.tsv:2: expected action, tag, a 40-hex commit/,
    );
  });
});
