/**
 * Checking the invoke/serve options and turning them into a FunctionConfig. Everything that can be
 * wrong in the user's input is a UserError that says what to do.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { DEFAULTS, functionNameFor } from './lambda-environment.js';
import type { FunctionConfig } from './lambda-environment.js';
import { MAX_PAYLOAD_BYTES } from './invocation.js';

/** The options invoke and serve share, as commander hands them over. */
export interface FunctionOptions {
  taskRoot: string;
  handler: string;
  timeout: string;
  memory: string;
  opt?: string;
  rscript?: string;
  env: string[];
  functionName?: string;
  region?: string;
}

/** file.function, where file may sit in a subfolder and both parts may hold dots. */
const HANDLER = /^[^.\s]+(\.[^.\s]+)+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkHandler(handler: string): string {
  if (!HANDLER.test(handler)) {
    throw new UserError(
      `--handler must be file.function, e.g. hello.handler for a function "handler" in hello.R; got '${handler}'.`,
    );
  }
  return handler;
}

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!ENV_NAME.test(name)) {
      throw new UserError(
        `--env takes KEY=VALUE with KEY a variable name (letters, digits, _); got '${pair}'.`,
      );
    }
    env[name] = pair.slice(eq + 1);
  }
  return env;
}

export function parseTimeoutSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 900) {
    throw new UserError(
      `--timeout is in seconds, more than 0 and at most 900 (Lambda's maximum); got '${text}'.`,
    );
  }
  return seconds;
}

export function parseMemoryMb(text: string): number {
  const mb = Number(text);
  if (!Number.isInteger(mb) || mb < 128 || mb > 10240) {
    throw new UserError(`--memory is in MB, a whole number from 128 to 10240 as on Lambda; got '${text}'.`);
  }
  return mb;
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`--port must be a port number from 0 (any free port) to 65535; got '${text}'.`);
  }
  return port;
}

/** Parses and checks an event; an empty one is {} as with `aws lambda invoke` without a payload. */
export function checkEvent(bytes: Buffer, source: string): Buffer {
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    throw new UserError(
      `The event in ${source} is ${bytes.length} bytes; Lambda accepts at most ${MAX_PAYLOAD_BYTES} (6 MB).`,
    );
  }
  const text = bytes.toString('utf8').trim();
  if (text === '') return Buffer.from('{}');
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `The event in ${source} is not valid JSON (${(error as Error).message}). Lambda events are JSON documents.`,
    );
  }
  return bytes;
}

/** --event FILE, or - for stdin; no --event means {}. */
export function readEvent(file: string | undefined, stdin: () => Buffer): Buffer {
  if (file === undefined) return Buffer.from('{}');
  if (file === '-') return checkEvent(stdin(), 'stdin');
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UserError(
      `Cannot read the event file ${file}: ${(error as Error).message}. Give a JSON file, or - for stdin.`,
    );
  }
  return checkEvent(bytes, file);
}

export interface RuntimeFiles {
  /** This package's layer/bootstrap, used without --opt. */
  packageBootstrap: () => string;
  /** The Rscript on PATH, if any. */
  rscriptOnPath: () => string | undefined;
}

export function functionConfig(options: FunctionOptions, files: RuntimeFiles): FunctionConfig {
  const taskRoot = checkTaskRoot(options.taskRoot);
  const handler = checkHandler(options.handler);
  const bootstrap = options.opt ? checkOptTree(options.opt) : files.packageBootstrap();
  const rscript = options.rscript
    ? checkRscript(options.rscript)
    : options.opt
      ? undefined
      : defaultRscript(files);
  const config: FunctionConfig = {
    bootstrap,
    taskRoot,
    handler,
    functionName: options.functionName ?? functionNameFor(taskRoot),
    memoryMb: parseMemoryMb(options.memory),
    timeoutMs: Math.round(parseTimeoutSeconds(options.timeout) * 1000),
    initTimeoutMs: DEFAULTS.initTimeoutMs,
    region: options.region ?? DEFAULTS.region,
    extraEnv: parseEnvPairs(options.env),
  };
  if (rscript) config.rscript = rscript;
  return config;
}

function checkTaskRoot(dir: string): string {
  const absolute = path.resolve(dir);
  if (!isDirectory(absolute)) {
    throw new UserError(
      `--task-root ${dir} is not a folder. Point it at the folder holding the handler's .R file.`,
    );
  }
  return absolute;
}

function checkOptTree(dir: string): string {
  const bootstrap = path.join(path.resolve(dir), 'bootstrap');
  if (!isExecutable(bootstrap)) {
    throw new UserError(
      `--opt ${dir} has no executable bootstrap. Give the folder where the layer zips were extracted together (it holds bootstrap, R/ and r-runtime/).`,
    );
  }
  return bootstrap;
}

function checkRscript(file: string): string {
  const absolute = path.resolve(file);
  if (!isExecutable(absolute)) {
    throw new UserError(
      `--rscript ${file} is not an executable file. Give the path of an Rscript, e.g. /usr/bin/Rscript.`,
    );
  }
  return absolute;
}

function defaultRscript(files: RuntimeFiles): string {
  const found = files.rscriptOnPath();
  if (!found) {
    throw new UserError(
      'No Rscript on PATH. Install R (with the jsonlite package), or pass --rscript PATH, or --opt DIR for a built layer tree.',
    );
  }
  return found;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
