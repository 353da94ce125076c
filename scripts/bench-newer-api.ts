/**
 * Benchmark of Lambda's newer Runtime API in the R runtime, against the local emulator, in one run:
 *  - concurrency (Managed Instances): 40 invocations of a handler that sleeps 200 ms, and 40 of a CPU-bound one,
 *    all sent at once, with AWS_LAMBDA_MAX_CONCURRENCY unset (the single loop) and N = 2 and 4 forked workers;
 *    wall time and the speed-up against the single loop;
 *  - streaming: a 100 MB response written by stream_response() in 1 MB pieces, checked byte by byte as it arrives
 *    (whole and in order), its time, and the R process's peak memory (VmHWM) against a handler that streams 1 KB.
 *
 * Usage: npx tsx scripts/bench-newer-api.ts [--rscript PATH] [--out FILE]
 * Writes the figures as JSON to --out (default bench-results/newer-api.json) and prints them.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LambdaEmulator } from '../src/runtime/lambda-emulator.js';
import type { FunctionConfig } from '../src/runtime/lambda-environment.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const HANDLER = `
handler <- function(event, context) {
  switch(event$kind,
    sleep = { Sys.sleep(0.2); list(pid = Sys.getpid()) },
    cpu = { x <- 0; for (i in seq_len(event$n)) x <- x + sqrt(i); list(pid = Sys.getpid(), x = x) },
    stream = stream_response(function(write) {
      chunk <- as.raw(0:250)[(seq_len(event$piece) - 1L) %% 251L + 1L]
      for (i in seq_len(event$pieces)) write(chunk)
    })
  )
}
`;

const { values } = parseArgs({
  options: {
    rscript: { type: 'string', default: '/usr/bin/Rscript' },
    out: { type: 'string', default: path.join(ROOT, 'bench-results', 'newer-api.json') },
  },
});

const taskRoot = mkdtempSync(path.join(os.tmpdir(), 'bench-newer-api-'));
writeFileSync(path.join(taskRoot, 'app.R'), HANDLER);

function config(maxConcurrency?: number): FunctionConfig {
  return {
    bootstrap: path.join(ROOT, 'layer', 'bootstrap'),
    taskRoot,
    handler: 'app.handler',
    functionName: 'bench',
    memoryMb: 1024,
    timeoutMs: 120_000,
    initTimeoutMs: 60_000,
    region: 'us-east-1',
    rscript: values.rscript,
    extraEnv: {},
    ...(maxConcurrency !== undefined && { maxConcurrency, logFormat: 'Text' as const }),
  };
}

async function withEmulator<T>(
  cfg: FunctionConfig,
  run: (emulator: LambdaEmulator) => Promise<T>,
): Promise<T> {
  const log = new PassThrough();
  log.resume();
  const emulator = await LambdaEmulator.start(cfg, { log });
  try {
    await emulator.warm();
    return await run(emulator);
  } finally {
    await emulator.close();
  }
}

const event = (value: object): Buffer => Buffer.from(JSON.stringify(value));

async function burst(n: number | undefined, body: object): Promise<{ ms: number; workers: number }> {
  return withEmulator(config(n), async (emulator) => {
    // One invocation first, so every worker's code is warm.
    await emulator.invoke(event(body));
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => emulator.invoke(event(body))));
    const ms = performance.now() - started;
    const failed = outcomes.filter((outcome) => outcome.kind !== 'success');
    if (failed.length)
      throw new Error(`${failed.length} invocations failed: ${failed[0]?.payload.toString()}`);
    const pids = new Set(
      outcomes.map((outcome) => (JSON.parse(outcome.payload.toString()) as { pid: number }).pid),
    );
    return { ms, workers: pids.size };
  });
}

async function streamed(
  pieces: number,
  piece: number,
): Promise<{ bytes: number; inOrder: boolean; ms: number; peakMb?: number }> {
  return withEmulator(config(), async (emulator) => {
    let at = 0;
    let inOrder = true;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        // Byte j of each piece is j % 251 (the handler's pattern restarts with every piece).
        for (let i = 0; i < chunk.length; i += 4093)
          if (chunk[i] !== ((at + i) % piece) % 251) inOrder = false;
        at += chunk.length;
        done();
      },
    });
    const started = performance.now();
    const outcome = await emulator.invoke(event({ kind: 'stream', pieces, piece }), {}, () => sink);
    const ms = performance.now() - started;
    if (outcome.kind !== 'success') throw new Error(`the stream failed: ${outcome.payload.toString()}`);
    return {
      bytes: at,
      inOrder,
      ms,
      ...(outcome.maxMemoryUsedMb !== undefined && { peakMb: outcome.maxMemoryUsedMb }),
    };
  });
}

const results: Record<string, unknown> = { machine: { cores: os.cpus().length, node: process.version } };
for (const [kind, body] of [
  ['sleep200ms', { kind: 'sleep' }],
  ['cpu', { kind: 'cpu', n: 3_000_000 }],
] as const) {
  const rows: Record<string, { ms: number; workers: number; speedup: number }> = {};
  const single = await burst(undefined, body);
  rows.single = { ...single, speedup: 1 };
  for (const n of [2, 4]) {
    const run = await burst(n, body);
    rows[`N=${n}`] = { ...run, speedup: single.ms / run.ms };
  }
  results[kind] = rows;
  console.log(`${kind}: 40 invocations`);
  for (const [name, row] of Object.entries(rows)) {
    console.log(
      `  ${name.padEnd(7)} ${row.ms.toFixed(0).padStart(6)} ms  ${row.workers} worker(s)  x${row.speedup.toFixed(2)}`,
    );
  }
}
const big = await streamed(100, 1024 * 1024);
const small = await streamed(1, 1024);
results.stream100MB = big;
results.stream1KB = small;
console.log(
  `stream: 100 MB in ${big.ms.toFixed(0)} ms, ${big.bytes} bytes, in order: ${big.inOrder}, R peak ${big.peakMb} MB (1 KB stream: ${small.peakMb} MB)`,
);
mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(results, null, 2) + '\n');
