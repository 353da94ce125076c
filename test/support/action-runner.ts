/**
 * The action's entry run as GitHub runs it, but outside Actions: a child process with INPUT_* variables (uppercase,
 * dashes kept) and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY pointing at temporary files.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { localMirror, repoRoot, runProcess, toolHome } from './mirror.js';

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  seconds: number;
}

/** The ways to run the action's entry: from source always, and the ncc bundle when it has been built. */
export const actionEntries: [string, string[]][] = [
  ['tsx src/index.ts', [path.join(repoRoot, 'node_modules', '.bin', 'tsx'), 'src/index.ts']],
];
if (existsSync(path.join(repoRoot, 'dist', 'index.js')))
  actionEntries.push(['node dist/index.js', [process.execPath, 'dist/index.js']]);

/** What GitHub's runner would not set outside a job, and what a CI job running these tests must not leak in. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** core.setOutput writes `name<<DELIM\nvalue\nDELIM` blocks to $GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
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

/** Runs the entry `command` with `inputs` as INPUT_* variables; extraEnv goes last and wins. */
export async function runAction(
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
  const [file = '', ...args] = command;
  try {
    const { code, stdout, stderr, seconds } = await runProcess(file, args, env, timeoutMs);
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputs(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
      seconds,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The action inputs that build from the local source mirror (scripts/fill-mirror.sh) into /opt, as the e2e tests do. */
export function mirrorBuildInputs(outDir: string, workDir: string): Record<string, string> {
  const mirror = localMirror();
  return {
    'r-version': mirror.rVersion,
    'source-overrides': mirror.overrides,
    'source-mirror': mirror.sourceMirror,
    'cran-repo': mirror.cranRepo,
    packages: 'xml2',
    'install-toolchain': 'false',
    'allow-any-host': 'true',
    prefix: '/opt',
    'out-dir': outDir,
    'cache-dir': path.join(toolHome(), 'cache'),
    'work-dir': workDir,
  };
}
