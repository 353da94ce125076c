/**
 * The command-line program: `r-lambda-layer build | invoke | serve | publish`. Each subcommand lives beside this
 * file and is a thin layer over the modules it names.
 */
import { Command, CommanderError } from 'commander';
import { buildCommand } from './build.js';
import { invokeCommand } from './invoke.js';
import { serveCommand } from './serve.js';
import { publishCommand } from './publish.js';
import { failureReport, UserError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';

export function cliProgram(): Command {
  return new Command('r-lambda-layer')
    .description('Build, check, run and publish an R runtime for AWS Lambda as layers.')
    .version(TOOL_VERSION)
    .addCommand(buildCommand())
    .addCommand(invokeCommand())
    .addCommand(serveCommand())
    .addCommand(publishCommand());
}

/** Run the program; resolves to the process exit code. The single top-level catch for the CLI. */
export async function runProgram(argv: string[]): Promise<number> {
  try {
    await cliProgram().exitOverride().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    // A UserError says what to do (and what caused it); anything else is a bug, so show where it happened.
    const report = failureReport(error);
    const text = error instanceof UserError || !(error instanceof Error) ? report.message : report.detail;
    process.stderr.write(`error: ${text}\n`);
    const code = (error as { exitCode?: unknown })?.exitCode;
    return typeof code === 'number' ? code : 1;
  }
}
