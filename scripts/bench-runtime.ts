/**
 * Benchmark of the R runtime against the local Lambda emulator, on this machine:
 *  - cold start: bootstrap spawned → first GET /invocation/next, against a bare `Rscript -e 0`
 *    (spawn → exit), median of several interleaved runs each;
 *  - warm echo: end-to-end invoke latency at the emulator (event queued → outcome) and the
 *    runtime's overhead, defined as Lambda's billed Duration for an echo handler: from the emulator
 *    answering GET /next with the event to it receiving the response POST. The echo handler itself
 *    takes microseconds, so this is what the runtime adds per event (read, parse, context, call,
 *    serialise, post);
 *  - throughput in events per second, against the original blog recipe's way (a shell loop running curl
 *    and a new Rscript per event) measured in the same run.
 *
 * Usage: npx tsx scripts/bench-runtime.ts [--out FILE] [--rscript PATH] [--events N] [--cold-runs N] [--guide-events N]
 * Writes the figures as JSON to --out (default bench-results/runtime.json) and prints a table. `guide` in
 * --guide-events and in the JSON means the original blog recipe's way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LambdaEmulator } from '../src/runtime/lambda-emulator.js';
import type { FunctionConfig } from '../src/runtime/lambda-environment.js';
import { findOnPath } from '../src/runtime/runtime-files.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = { overheadP50Ms: 2, throughputVsGuide: 100, coldStartRatio: 1.2 };

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: path.join('bench-results', 'runtime.json') },
    rscript: { type: 'string' },
    events: { type: 'string', default: '2000' },
    'cold-runs': { type: 'string', default: '9' },
    'guide-events': { type: 'string', default: '15' },
  },
});

const rscript = args.rscript ?? findOnPath('Rscript');
if (!rscript) {
  process.stderr.write('bench: no Rscript on PATH; pass --rscript PATH\n');
  process.exit(1);
}
const events = positive(args.events, 'events');
const coldRuns = positive(args['cold-runs'], 'cold-runs');
const guideEvents = positive(args['guide-events'], 'guide-events');

function positive(text: string | undefined, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench: --${name} must be a whole number above 0\n`);
    process.exit(1);
  }
  return n;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const median = (values: number[]): number => quantile(values, 0.5);

function functionConfig(taskRoot: string, handler: string, bootstrap: string): FunctionConfig {
  return {
    bootstrap,
    taskRoot,
    handler,
    functionName: 'bench',
    memoryMb: 1024,
    timeoutMs: 60_000,
    initTimeoutMs: 60_000,
    region: 'us-east-1',
    rscript,
    extraEnv: {},
  };
}

/** Wall time of one `Rscript -e 0`, spawn to exit. */
function bareRscriptMs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(rscript as string, ['-e', '0'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', () => resolve(performance.now() - started));
  });
}

async function coldStart(emulator: LambdaEmulator): Promise<{ runtime: number[]; bare: number[] }> {
  const runtime: number[] = [];
  const bare: number[] = [];
  await bareRscriptMs(); // fills the page cache for both
  for (let i = 0; i < coldRuns; i++) {
    await emulator.stopRuntime();
    runtime.push(await emulator.warm());
    bare.push(await bareRscriptMs());
  }
  return { runtime, bare };
}

async function warmEcho(emulator: LambdaEmulator, payload: Buffer) {
  await emulator.warm();
  for (let i = 0; i < 50; i++) await emulator.invoke(payload);
  const endToEnd: number[] = [];
  const overhead: number[] = [];
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const t = performance.now();
    const outcome = await emulator.invoke(payload);
    endToEnd.push(performance.now() - t);
    if (outcome.kind !== 'success') throw new Error(`echo failed: ${outcome.payload.toString()}`);
    overhead.push(outcome.durationMs);
  }
  const seconds = (performance.now() - started) / 1000;
  return { endToEnd, overhead, eventsPerSecond: events / seconds };
}

/** The original blog recipe's bootstrap: curl for the Runtime API and a new Rscript per event. */
const GUIDE_BOOTSTRAP = `#!/bin/sh
set -eu
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -LD "$HEADERS" -o /dev/null "$API/invocation/next"
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  "$R_LAMBDA_RSCRIPT" "$LAMBDA_TASK_ROOT/\${_HANDLER%.*}.r"
  curl -sS -X POST "$API/invocation/$REQUEST_ID/response" -d "OK" >/dev/null
  rm -f "$HEADERS"
done
`;

async function guideThroughput(
  payload: Buffer,
): Promise<{ eventsPerSecond: number; meanMs: number } | { skipped: string }> {
  if (!findOnPath('curl')) return { skipped: 'curl is not installed' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-guide-'));
  writeFileSync(path.join(dir, 'bootstrap'), GUIDE_BOOTSTRAP);
  chmodSync(path.join(dir, 'bootstrap'), 0o755);
  writeFileSync(path.join(dir, 'test.r'), 'cat("Hello from R\\n")\n');
  const log = new PassThrough().resume();
  const emulator = await LambdaEmulator.start(
    functionConfig(dir, 'test.handler', path.join(dir, 'bootstrap')),
    { log },
  );
  try {
    await emulator.invoke(payload);
    const started = performance.now();
    for (let i = 0; i < guideEvents; i++) {
      const outcome = await emulator.invoke(payload);
      if (outcome.kind !== 'success') throw new Error(`guide loop failed: ${outcome.payload.toString()}`);
    }
    const ms = performance.now() - started;
    return { eventsPerSecond: (guideEvents * 1000) / ms, meanMs: ms / guideEvents };
  } finally {
    await emulator.close();
  }
}

function rVersion(): string {
  const run = spawnSync(rscript as string, ['-e', 'cat(R.version.string)'], { encoding: 'utf8' });
  return run.stdout.trim();
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

async function main(): Promise<void> {
  const taskRoot = mkdtempSync(path.join(os.tmpdir(), 'bench-echo-'));
  writeFileSync(path.join(taskRoot, 'echo.R'), 'echo <- function(event, context) event\n');
  const payload = readFileSync(path.join(ROOT, 'test', 'fixtures', 'events', 'direct.json'));
  const log = new PassThrough().resume();
  const emulator = await LambdaEmulator.start(
    functionConfig(taskRoot, 'echo.echo', path.join(ROOT, 'layer', 'bootstrap')),
    { log },
  );
  let cold: { runtime: number[]; bare: number[] };
  let warm: Awaited<ReturnType<typeof warmEcho>>;
  try {
    process.stderr.write(`bench: cold start, ${coldRuns} runs each…\n`);
    cold = await coldStart(emulator);
    process.stderr.write(`bench: warm echo, ${events} events…\n`);
    warm = await warmEcho(emulator, payload);
  } finally {
    await emulator.close();
  }
  process.stderr.write(`bench: the original blog recipe's way, ${guideEvents} events…\n`);
  const guide = await guideThroughput(payload);

  const coldRatio = median(cold.runtime) / median(cold.bare);
  const throughputRatio = 'eventsPerSecond' in guide ? warm.eventsPerSecond / guide.eventsPerSecond : NaN;
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      r: rVersion(),
      rscript,
    },
    coldStart: {
      runs: coldRuns,
      runtimeMedianMs: round(median(cold.runtime)),
      bareRscriptMedianMs: round(median(cold.bare)),
      ratio: round(coldRatio, 3),
      runtimeMs: cold.runtime.map((n) => round(n)),
      bareRscriptMs: cold.bare.map((n) => round(n)),
    },
    warmEcho: {
      events,
      event: 'test/fixtures/events/direct.json',
      endToEndP50Ms: round(quantile(warm.endToEnd, 0.5), 3),
      endToEndP95Ms: round(quantile(warm.endToEnd, 0.95), 3),
      overheadP50Ms: round(quantile(warm.overhead, 0.5), 3),
      overheadP95Ms: round(quantile(warm.overhead, 0.95), 3),
      eventsPerSecond: round(warm.eventsPerSecond, 1),
    },
    guide:
      'eventsPerSecond' in guide
        ? {
            events: guideEvents,
            eventsPerSecond: round(guide.eventsPerSecond, 3),
            meanMs: round(guide.meanMs, 1),
          }
        : guide,
    ratios: { throughputVsGuide: round(throughputRatio, 1), coldStartVsBareRscript: round(coldRatio, 3) },
    targets: TARGETS,
    met: {
      overheadP50: quantile(warm.overhead, 0.5) <= TARGETS.overheadP50Ms,
      throughputVsGuide: throughputRatio >= TARGETS.throughputVsGuide,
      coldStart: coldRatio <= TARGETS.coldStartRatio,
    },
  };

  const out = path.resolve(args.out as string);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');

  const rows: Array<[string, string, string]> = [
    ['cold start, runtime (spawn → first GET /next), median', `${results.coldStart.runtimeMedianMs} ms`, ''],
    ['cold start, bare Rscript -e 0, median', `${results.coldStart.bareRscriptMedianMs} ms`, ''],
    [
      'cold start ratio',
      `${results.coldStart.ratio}×`,
      `≤ ${TARGETS.coldStartRatio}× ${results.met.coldStart ? 'met' : 'MISSED'}`,
    ],
    [
      'warm overhead (billed Duration, echo) p50',
      `${results.warmEcho.overheadP50Ms} ms`,
      `≤ ${TARGETS.overheadP50Ms} ms ${results.met.overheadP50 ? 'met' : 'MISSED'}`,
    ],
    ['warm overhead p95', `${results.warmEcho.overheadP95Ms} ms`, ''],
    ['warm end-to-end invoke p50', `${results.warmEcho.endToEndP50Ms} ms`, ''],
    ['warm end-to-end invoke p95', `${results.warmEcho.endToEndP95Ms} ms`, ''],
    ['throughput, this runtime', `${results.warmEcho.eventsPerSecond} events/s`, ''],
    [
      'throughput, the original blog recipe (new Rscript per event)',
      'eventsPerSecond' in guide
        ? `${round(guide.eventsPerSecond, 2)} events/s`
        : `skipped: ${guide.skipped}`,
      '',
    ],
    [
      'throughput ratio',
      `${results.ratios.throughputVsGuide}×`,
      `≥ ${TARGETS.throughputVsGuide}× ${results.met.throughputVsGuide ? 'met' : 'MISSED'}`,
    ],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(...rows.map((r) => r[1].length));
  process.stdout.write(
    `R runtime benchmark — ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.r}, Node ${process.version}\n`,
  );
  for (const [label, value, target] of rows)
    process.stdout.write(`${label.padEnd(width)}  ${value.padStart(valueWidth)}  ${target}\n`);
  process.stdout.write(`figures written to ${path.relative(process.cwd(), out) || out}\n`);
}

await main();
