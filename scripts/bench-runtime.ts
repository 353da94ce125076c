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
 *    and a new Rscript per event) measured in the same run;
 *  - large events (scripts/bench-payloads.ts): records of 1 KB to 5 MB, and the other shapes at 3 MB.
 *    For each, the echo's billed Duration (median), jsonlite's parse of the same bytes in a separate R
 *    (median, same run), their ratio, and the R process's peak memory (VmHWM, a fresh runtime per case),
 *    with the runtime package (data/lambdaruntime, built here for this R, as the r layer carries it).
 *
 * Usage: npx tsx scripts/bench-runtime.ts [--out FILE] [--rscript PATH] [--events N] [--cold-runs N] [--guide-events N]
 *          [--payload-runs N] [--skip-large] [--only-large] [--codecs C] [--layer DIR]
 * --layer runs another copy of layer/ (bootstrap and runtime.R), e.g. an older commit's, for a before/after.
 * --codecs C,R measures an older layer/ (before the runtime had one codec) with its R code too.
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
import { SHAPES, payload } from './bench-payloads.js';
import type { Shape } from './bench-payloads.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = {
  overheadP50Ms: 2,
  throughputVsGuide: 100,
  coldStartRatio: 1.2,
  largeEchoVsParse: 2,
  largePeakMb: 128,
};

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: path.join('bench-results', 'runtime.json') },
    rscript: { type: 'string' },
    events: { type: 'string', default: '2000' },
    'cold-runs': { type: 'string', default: '9' },
    'guide-events': { type: 'string', default: '15' },
    'payload-runs': { type: 'string', default: '5' },
    'skip-large': { type: 'boolean', default: false },
    'only-large': { type: 'boolean', default: false },
    codecs: { type: 'string', default: 'C' },
    layer: { type: 'string', default: path.join(ROOT, 'layer') },
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
const payloadRuns = positive(args['payload-runs'], 'payload-runs');
const layerDir = path.resolve(args.layer as string);
type Codec = 'C' | 'R';
const codecs = (args.codecs as string).split(',').map((c) => c.trim().toUpperCase());
if (!codecs.length || codecs.some((c) => c !== 'C' && c !== 'R')) {
  process.stderr.write('bench: --codecs takes C, R or C,R\n');
  process.exit(1);
}

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

function functionConfig(
  taskRoot: string,
  handler: string,
  bootstrap: string,
  extraEnv: Record<string, string> = {},
): FunctionConfig {
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
    extraEnv,
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

/** The echo handler of every case; for large events it also reports the process's peak memory. */
const ECHO_HANDLER = `peak_kb <- function() {
  status <- readLines("/proc/self/status")
  as.numeric(gsub("[^0-9]", "", grep("^VmHWM", status, value = TRUE)))
}
echo <- function(event, context) {
  if (!isTRUE(event$bench_peak_memory)) return(event)
  list(peak_kb = peak_kb(), codec = if (isNamespaceLoaded("lambdaruntime") || isNamespaceLoaded("lambdajson")) "C" else "R")
}
`;

/** The runtime package for the bench's R comes from the emulator (src/runtime/local-runtime.ts, through R_LIBS);
 * R_LAMBDA_JSON=r asked an older runtime for its R code. */
function echoEmulator(codec: Codec = 'C'): Promise<LambdaEmulator> {
  const taskRoot = mkdtempSync(path.join(os.tmpdir(), 'bench-echo-'));
  writeFileSync(path.join(taskRoot, 'echo.R'), ECHO_HANDLER);
  const log = new PassThrough().resume();
  const env: Record<string, string> = codec === 'C' ? {} : { R_LAMBDA_JSON: 'r' };
  return LambdaEmulator.start(functionConfig(taskRoot, 'echo.echo', path.join(layerDir, 'bootstrap'), env), {
    log,
  });
}

type Row = [string, string, string];

async function smallEvents(): Promise<{ figures: Record<string, unknown>; rows: Row[] }> {
  const payload = readFileSync(path.join(ROOT, 'test', 'fixtures', 'events', 'direct.json'));
  const emulator = await echoEmulator();
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
  const figures = {
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
    met: {
      overheadP50: quantile(warm.overhead, 0.5) <= TARGETS.overheadP50Ms,
      throughputVsGuide: throughputRatio >= TARGETS.throughputVsGuide,
      coldStart: coldRatio <= TARGETS.coldStartRatio,
    },
  };
  const { met } = figures;
  const rows: Row[] = [
    ['cold start, runtime (spawn → first GET /next), median', `${figures.coldStart.runtimeMedianMs} ms`, ''],
    ['cold start, bare Rscript -e 0, median', `${figures.coldStart.bareRscriptMedianMs} ms`, ''],
    [
      'cold start ratio',
      `${figures.coldStart.ratio}×`,
      `≤ ${TARGETS.coldStartRatio}× ${met.coldStart ? 'met' : 'MISSED'}`,
    ],
    [
      'warm overhead (billed Duration, echo) p50',
      `${figures.warmEcho.overheadP50Ms} ms`,
      `≤ ${TARGETS.overheadP50Ms} ms ${met.overheadP50 ? 'met' : 'MISSED'}`,
    ],
    ['warm overhead p95', `${figures.warmEcho.overheadP95Ms} ms`, ''],
    ['warm end-to-end invoke p50', `${figures.warmEcho.endToEndP50Ms} ms`, ''],
    ['warm end-to-end invoke p95', `${figures.warmEcho.endToEndP95Ms} ms`, ''],
    ['throughput, this runtime', `${figures.warmEcho.eventsPerSecond} events/s`, ''],
    [
      'throughput, the original blog recipe (new Rscript per event)',
      'eventsPerSecond' in guide
        ? `${round(guide.eventsPerSecond, 2)} events/s`
        : `skipped: ${guide.skipped}`,
      '',
    ],
    [
      'throughput ratio',
      `${figures.ratios.throughputVsGuide}×`,
      `≥ ${TARGETS.throughputVsGuide}× ${met.throughputVsGuide ? 'met' : 'MISSED'}`,
    ],
  ];
  return { figures, rows };
}

/**
 * Median wall time of jsonlite's parse of `file` (as the runtime parses events), in a separate R. Small files are
 * parsed many times per sample, so that each sample is well above the clock's millisecond resolution.
 */
function jsonliteParseMs(file: string, runs: number, bytes: number): number {
  const repeat = Math.max(1, Math.ceil(MB / bytes));
  const script = `bytes <- readBin("${file}", "raw", file.size("${file}"))
parse <- function() { text <- rawToChar(bytes); Encoding(text) <- "UTF-8"; jsonlite::fromJSON(text, simplifyVector = FALSE) }
invisible(parse())
ms <- vapply(seq_len(${runs}), function(i) {
  t <- proc.time()[[3]]
  for (k in seq_len(${repeat})) parse()
  (proc.time()[[3]] - t) * 1000 / ${repeat}
}, 0)
cat(median(ms))`;
  const run = spawnSync(rscript as string, ['-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`jsonlite parse failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}

interface LargeCase {
  shape: Shape;
  bytes: number;
}

const KB = 1024;
const MB = 1024 * KB;
const LARGE_CASES: LargeCase[] = [
  ...[KB, 100 * KB, MB, 3 * MB, 5 * MB].map((bytes) => ({ shape: 'records' as Shape, bytes })),
  ...SHAPES.filter((shape) => shape !== 'records').map((shape) => ({ shape, bytes: 3 * MB })),
];

const sizeLabel = (bytes: number): string =>
  bytes >= MB ? `${round(bytes / MB, 1)} MB` : `${round(bytes / KB, 0)} KB`;

/**
 * Each case in a fresh runtime (so its peak memory is its own): two warm-up echoes, then `payloadRuns`; per codec.
 * jsonlite's parse is measured once per case and is the denominator of both codecs' ratios.
 */
async function largeEvents(): Promise<Array<Record<string, unknown>>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-large-'));
  const parseMs = new Map<string, number>();
  const figures: Array<Record<string, unknown>> = [];
  for (const codec of codecs as Codec[]) {
    const emulator = await echoEmulator(codec);
    try {
      figures.push(...(await largeCases(emulator, codec, dir, parseMs)));
    } finally {
      await emulator.close();
    }
  }
  return figures;
}

async function largeCases(
  emulator: LambdaEmulator,
  codec: Codec,
  dir: string,
  parseMsOf: Map<string, number>,
): Promise<Array<Record<string, unknown>>> {
  const figures: Array<Record<string, unknown>> = [];
  for (const { shape, bytes } of LARGE_CASES) {
    const event = payload(shape, bytes);
    const file = path.join(dir, `${shape}-${bytes}.json`);
    writeFileSync(file, event);
    process.stderr.write(
      `bench: large events, ${codec} codec, ${shape} ${sizeLabel(event.length)}, ${payloadRuns} echoes…\n`,
    );
    await emulator.stopRuntime();
    await emulator.warm();
    const durations: number[] = [];
    // R compiles the runtime's functions on their first calls: two echoes warm it up.
    for (let i = 0; i < payloadRuns + 2; i++) {
      const outcome = await emulator.invoke(event);
      if (outcome.kind !== 'success')
        throw new Error(`echo failed: ${outcome.payload.toString().slice(0, 500)}`);
      if (i >= 2) durations.push(outcome.durationMs);
    }
    const probe = await emulator.invoke(Buffer.from('{"bench_peak_memory":true}'));
    const reply = JSON.parse(probe.payload.toString()) as { peak_kb: number; codec: Codec };
    if (reply.codec !== codec)
      throw new Error(`bench: the runtime used the ${reply.codec} codec, not ${codec}`);
    const peakKb = reply.peak_kb;
    const key = `${shape}-${bytes}`;
    const parseMs = parseMsOf.get(key) ?? jsonliteParseMs(file, payloadRuns, event.length);
    parseMsOf.set(key, parseMs);
    const echoMs = median(durations);
    figures.push({
      codec,
      shape,
      bytes: event.length,
      runs: payloadRuns,
      echoP50Ms: round(echoMs, 2),
      jsonliteParseP50Ms: round(parseMs, 2),
      ratio: round(echoMs / parseMs, 2),
      peakMb: round(peakKb / 1024, 1),
      echoMs: durations.map((n) => round(n, 1)),
    });
  }
  return figures;
}

function largeTable(figures: Array<Record<string, unknown>>): string {
  const header = ['codec', 'shape', 'size', 'echo p50', 'jsonlite parse p50', 'ratio', 'peak memory'];
  const lines = figures.map((f) => [
    String(f.codec),
    String(f.shape),
    sizeLabel(f.bytes as number),
    `${f.echoP50Ms} ms`,
    `${f.jsonliteParseP50Ms} ms`,
    // The ≤ 2× goal is for large events; below a megabyte the runtime's fixed cost per event (about 1.5 ms) dominates.
    `${f.ratio}× ${(f.bytes as number) < MB ? '' : (f.ratio as number) <= TARGETS.largeEchoVsParse ? 'met' : '(MISSED ≤ 2×)'}`.trim(),
    `${f.peakMb} MB ${(f.peakMb as number) <= TARGETS.largePeakMb ? '' : '(MISSED ≤ 128 MB)'}`.trim(),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  return [header, ...lines]
    .map((cells) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '))
    .join('\n');
}

async function main(): Promise<void> {
  const small = args['only-large'] ? undefined : await smallEvents();
  const large = args['skip-large'] ? [] : await largeEvents();
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      r: rVersion(),
      rscript,
      layer: path.relative(ROOT, layerDir) || '.',
    },
    ...small?.figures,
    largeEvents: large,
    targets: TARGETS,
  };

  const out = path.resolve(args.out as string);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');

  process.stdout.write(
    `R runtime benchmark — ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.r}, Node ${process.version}\n`,
  );
  const rows = small?.rows ?? [];
  if (rows.length) {
    const width = Math.max(...rows.map((r) => r[0].length));
    const valueWidth = Math.max(...rows.map((r) => r[1].length));
    for (const [label, value, target] of rows)
      process.stdout.write(`${label.padEnd(width)}  ${value.padStart(valueWidth)}  ${target}\n`);
  }
  if (large.length)
    process.stdout.write(
      `\nlarge events (echo: billed Duration; peak: VmHWM of the R process)\n${largeTable(large)}\n`,
    );
  process.stdout.write(`figures written to ${path.relative(process.cwd(), out) || out}\n`);
}

await main();
