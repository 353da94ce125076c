#!/usr/bin/env node
/**
 * The command-line front: `r-lambda-layer build | invoke | serve | publish`.
 * Each subcommand lives in src/commands/ and is a thin layer over the modules it names.
 */
import { Command, CommanderError } from 'commander';
import { buildCommand } from './commands/build.js';
import { invokeCommand } from './commands/invoke.js';
import { serveCommand } from './commands/serve.js';
import { publishCommand } from './commands/publish.js';
import { errorMessage, UserError } from './errors.js';
import { TOOL_VERSION } from './version.js';

export function cliProgram(): Command {
  return new Command('r-lambda-layer')
    .description('Build, check, run and publish an R runtime for AWS Lambda as layers.')
    .version(TOOL_VERSION)
    .addCommand(buildCommand())
    .addCommand(invokeCommand())
    .addCommand(serveCommand())
    .addCommand(publishCommand());
}

async function main(): Promise<void> {
  try {
    await cliProgram().exitOverride().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exit(error.exitCode);
    }
    // A UserError says what to do; anything else is a bug, so show where it happened.
    const text = error instanceof UserError ? errorMessage(error) : (error as Error)?.stack ?? errorMessage(error);
    process.stderr.write(`error: ${text}\n`);
    process.exit(typeof (error as { exitCode?: unknown }).exitCode === 'number' ? (error as { exitCode: number }).exitCode : 1);
  }
}

await main();
