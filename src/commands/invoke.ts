/**
 * `r-lambda-layer invoke`: runs one invocation of an R handler against the local Lambda emulator.
 * The response goes to stdout (a streamed one as it arrives; an HTTP-integration stream's prelude, the status and
 * headers, to stderr); the runtime's log to stderr. Exit 0 on success, 1 on a function error (timeout included, and
 * an error after a streamed response began: its JSON then goes to stderr), 2 on an init error; on SIGINT/SIGTERM it
 * kills the runtime and exits 130/143.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { addOptionFlags, optionsFromFlags } from '../options/commander.js';
import { givenText, type RawOptions } from '../options/parse.js';
import { streamSink } from '../runtime/function-url.js';
import { LambdaEmulator, type StreamSink } from '../runtime/lambda-emulator.js';
import type { FunctionConfig } from '../runtime/lambda-environment.js';
import { functionConfig, readEvent } from '../runtime/options.js';
import { localRuntimeFiles } from '../runtime/runtime-files.js';
import { stopRuntimeWithProcess } from '../runtime/shutdown.js';
import type { OutcomeKind } from '../runtime/invocation.js';

export const INVOKE_EXIT_CODES: Record<OutcomeKind, number> = {
  success: 0,
  'function-error': 1,
  'init-error': 2,
};

/** Carries the exit code of a failed invocation to src/cli.ts, after the error JSON was printed. */
export class InvocationFailed extends UserError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'InvocationFailed';
  }
}

/** What invoke and serve share: their flags, and the function to run, checked before their own options. */
export function functionCommand(
  name: 'invoke' | 'serve',
  description: string,
  run: (raw: RawOptions, config: FunctionConfig) => Promise<void>,
): Command {
  const command = addOptionFlags(new Command(name).description(description), name);
  return command.action(async (flags: Record<string, unknown>) => {
    const raw = optionsFromFlags(flags, name);
    await run(raw, functionConfig(raw, localRuntimeFiles));
  });
}

export function invokeCommand(): Command {
  const description = 'Run an R handler once, locally, the way Lambda runs it, and print its response.';
  return functionCommand('invoke', description, async (raw, config) => {
    const event = readEvent(givenText(raw, 'event'), () => readFileSync(0));
    const emulator = await LambdaEmulator.start(config, { log: process.stderr });
    const unhook = stopRuntimeWithProcess({ killRuntime: () => emulator.killRuntime(), log: process.stderr });
    try {
      const outcome = await emulator.invoke(event, {}, printStream);
      if (!outcome.streamed) {
        process.stdout.write(outcome.payload);
        process.stdout.write('\n');
      } else if (outcome.kind !== 'success') {
        process.stderr.write(`invoke: the streamed response failed after ${outcome.streamed.bytes} bytes:\n`);
        process.stderr.write(Buffer.concat([outcome.payload, Buffer.from('\n')]));
      }
      if (outcome.kind !== 'success') {
        const what = outcome.kind === 'init-error' ? 'init failed' : 'the function failed';
        throw new InvocationFailed(
          `${what} (${outcome.errorType ?? 'Unhandled'})`,
          INVOKE_EXIT_CODES[outcome.kind],
        );
      }
    } finally {
      await emulator.close();
      unhook();
    }
  });
}

/** A streamed response is printed as it arrives; an HTTP-integration prelude is parsed and shown on stderr. */
const printStream: StreamSink = (contentType) =>
  streamSink(contentType, process.stdout, {
    onPrelude: (prelude) =>
      process.stderr.write(
        `invoke: HTTP ${prelude.statusCode} ${JSON.stringify({ headers: prelude.headers, cookies: prelude.cookies })}\n`,
      ),
    onPlain: () => undefined,
    onError: (error) => process.stderr.write(`invoke: ${error.message}\n`),
  });
