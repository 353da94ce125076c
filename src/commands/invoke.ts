/**
 * `r-lambda-layer invoke`: runs one invocation of an R handler against the local Lambda emulator.
 * The response goes to stdout; the runtime's log to stderr. Exit 0 on success, 1 on a function
 * error (timeout included), 2 on an init error; on SIGINT/SIGTERM it kills the runtime and exits
 * 130/143.
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { LambdaEmulator } from '../runtime/lambda-emulator.js';
import { DEFAULTS } from '../runtime/lambda-environment.js';
import type { FunctionOptions } from '../runtime/options.js';
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

/** The options invoke and serve share. */
export function addFunctionOptions(command: Command): Command {
  return command
    .option('--task-root <dir>', "folder holding the handler's code (/var/task on Lambda)", '.')
    .requiredOption('--handler <file.function>', 'the _HANDLER setting, e.g. hello.handler for hello.R')
    .option('--timeout <seconds>', 'function timeout', String(DEFAULTS.timeoutSeconds))
    .option('--memory <mb>', 'memory size reported to the function', String(DEFAULTS.memoryMb))
    .option(
      '--opt <dir>',
      'an unpacked layer tree (the three zips extracted into one folder) to run instead of this package',
    )
    .option(
      '--rscript <path>',
      'the Rscript to run (R_LAMBDA_RSCRIPT); default: Rscript on PATH unless --opt is given',
    )
    .option('--function-name <name>', 'AWS_LAMBDA_FUNCTION_NAME; default: the task root folder name')
    .option('--region <region>', 'AWS_REGION', DEFAULTS.region)
    .addOption(
      new Option('--env <KEY=VALUE>', 'an environment variable for the function (repeatable)')
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .default([]),
    );
}

export function invokeCommand(): Command {
  const command = new Command('invoke')
    .description('Run an R handler once, locally, the way Lambda runs it, and print its response.')
    .option('--event <file>', 'the event JSON file, or - for stdin (default: {})');
  return addFunctionOptions(command).action(async (options: FunctionOptions & { event?: string }) => {
    const config = functionConfig(options, localRuntimeFiles);
    const event = readEvent(options.event, () => readFileSync(0));
    const emulator = await LambdaEmulator.start(config, { log: process.stderr });
    const unhook = stopRuntimeWithProcess({ killRuntime: () => emulator.killRuntime(), log: process.stderr });
    try {
      const outcome = await emulator.invoke(event);
      process.stdout.write(outcome.payload);
      process.stdout.write('\n');
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
