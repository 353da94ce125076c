/**
 * Shared set-up for the runtime's end-to-end tests: handler files in a temporary task root, the
 * real layer/bootstrap and Debian's R behind the Lambda emulator, and the runtime's log captured.
 */
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { LambdaEmulator } from '../../src/runtime/lambda-emulator.js';
import type { FunctionConfig } from '../../src/runtime/lambda-environment.js';
import type { InvocationExtras, InvocationOutcome } from '../../src/runtime/invocation.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BOOTSTRAP = path.join(REPO_ROOT, 'layer', 'bootstrap');
export const RSCRIPT = '/usr/bin/Rscript';
export const HAVE_R = existsSync(RSCRIPT);

/** describe() when Debian's R is installed; otherwise a skipped block that says why. */
export const describeWithR: jest.Describe = HAVE_R
  ? describe
  : (((name: string, fn: () => void) =>
      describe.skip(
        `${name} [skipped: ${RSCRIPT} is missing; run scripts/install-test-deps.sh]`,
        fn,
      )) as jest.Describe);

export function writeTaskRoot(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'r-lambda-task-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export interface TestFunction {
  emulator: LambdaEmulator;
  config: FunctionConfig;
  log(): string;
  invoke(event: unknown, extras?: InvocationExtras): Promise<InvocationOutcome>;
  invokeRaw(payload: string | Buffer): Promise<InvocationOutcome>;
  close(): Promise<void>;
}

export async function startFunction(
  taskRoot: string,
  handler: string,
  overrides: Partial<FunctionConfig> = {},
): Promise<TestFunction> {
  const config: FunctionConfig = {
    bootstrap: BOOTSTRAP,
    taskRoot,
    handler,
    functionName: 'r-test',
    memoryMb: 256,
    timeoutMs: 10_000,
    initTimeoutMs: 30_000,
    region: 'eu-west-1',
    rscript: RSCRIPT,
    extraEnv: {},
    ...overrides,
  };
  const chunks: Buffer[] = [];
  const log = new PassThrough();
  log.on('data', (chunk: Buffer) => chunks.push(chunk));
  const emulator = await LambdaEmulator.start(config, { log });
  return {
    emulator,
    config,
    log: () => Buffer.concat(chunks).toString('utf8'),
    invoke: (event, extras) => emulator.invoke(Buffer.from(JSON.stringify(event)), extras),
    invokeRaw: (payload) => emulator.invoke(Buffer.isBuffer(payload) ? payload : Buffer.from(payload)),
    close: () => emulator.close(),
  };
}

export function parsed(outcome: InvocationOutcome): unknown {
  return JSON.parse(outcome.payload.toString('utf8'));
}

/** Fails with the runtime's log when an invocation did not succeed, so a failure explains itself. */
export function expectSuccess(outcome: InvocationOutcome, fn: TestFunction): unknown {
  if (outcome.kind !== 'success') {
    throw new Error(
      `expected success, got ${outcome.kind}: ${outcome.payload.toString()}\n--- log ---\n${fn.log()}`,
    );
  }
  return parsed(outcome);
}

/**
 * The runtime's output arrives through pipes, independently of its HTTP answer, so a line may land
 * a moment after the invocation's outcome: wait for it (up to 5 s) before failing.
 */
export async function expectLog(fn: TestFunction, pattern: string | RegExp): Promise<void> {
  const matches = (): boolean =>
    typeof pattern === 'string' ? fn.log().includes(pattern) : pattern.test(fn.log());
  for (let waited = 0; waited < 5000 && !matches(); waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!matches()) throw new Error(`the log never showed ${String(pattern)}\n--- log ---\n${fn.log()}`);
}
