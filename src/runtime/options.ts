/**
 * Checking the invoke/serve options and turning them into a FunctionConfig. The options themselves (flags, defaults,
 * help) are declared in src/options/declarations.ts; everything that can be wrong in them is a UserError in the
 * format of src/options/parse.ts, naming the flag and what to give instead.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { givenText, lineOption, optionError, textOption, type RawOptions } from '../options/parse.js';
import { DEFAULTS, functionNameFor, LOG_FORMATS, LOG_LEVELS, logFormatOf } from './lambda-environment.js';
import type { FunctionConfig, LogFormat, LogLevel } from './lambda-environment.js';
import { MAX_PAYLOAD_BYTES } from './invocation.js';
import { LAYOUT } from '../layers.js';

/** file.function, where file may sit in a subfolder and both parts may hold dots. */
const HANDLER = /^[^.\s]+(\.[^.\s]+)+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkHandler(handler: string): string {
  if (!HANDLER.test(handler)) throw optionError('handler', `"${handler}" is not file.function`);
  return handler;
}

export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!ENV_NAME.test(name)) throw optionError('env', `"${pair}" is not KEY=VALUE`);
    env[name] = pair.slice(eq + 1);
  }
  return env;
}

export function parseTimeoutSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 900) {
    throw optionError('timeout', `"${text}" is not a timeout Lambda allows`);
  }
  return seconds;
}

export function parseMemoryMb(text: string): number {
  const mb = Number(text);
  if (!Number.isInteger(mb) || mb < 128 || mb > 10240) {
    throw optionError('memory', `"${text}" is not a memory size Lambda allows`);
  }
  return mb;
}

export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw optionError('port', `"${text}" is not a port`);
  return port;
}

/** Lambda Managed Instances allow up to 1024 invocations per environment (PerExecutionEnvironmentMaxConcurrency). */
export const MAX_CONCURRENCY_LIMIT = 1024;

export function parseMaxConcurrency(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_CONCURRENCY_LIMIT) {
    throw optionError('max-concurrency', `"${text}" is not a number of concurrent invocations`);
  }
  return n;
}

/** Case as the user likes (Lambda's API spells them Text, JSON and TRACE … FATAL); returned as Lambda spells them. */
export function parseLogFormat(text: string): LogFormat {
  const found = LOG_FORMATS.find((format) => format.toLowerCase() === text.trim().toLowerCase());
  if (!found) throw optionError('log-format', `"${text}" is not a log format`);
  return found;
}

export function parseLogLevel(text: string): LogLevel {
  const found = LOG_LEVELS.find((level) => level === text.trim().toUpperCase());
  if (!found) throw optionError('log-level', `"${text}" is not a log level`);
  return found;
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
      { cause: error },
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
    throw optionError(
      'event',
      `cannot read the event file ${file} (${(error as Error).message})`,
      undefined,
      { cause: error },
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

/** The options invoke and serve share (raw values keyed by option name) as the function to run. */
export function functionConfig(raw: RawOptions, files: RuntimeFiles): FunctionConfig {
  const taskRoot = checkTaskRoot(textOption(raw, 'task-root'));
  const handler = checkHandler(textOption(raw, 'handler'));
  const opt = givenText(raw, 'opt');
  const rscriptGiven = givenText(raw, 'rscript');
  const bootstrap = opt ? checkOptTree(opt) : files.packageBootstrap();
  const rscript = rscriptGiven ? checkRscript(rscriptGiven) : opt ? undefined : defaultRscript(files);
  const config: FunctionConfig = {
    bootstrap,
    taskRoot,
    handler,
    functionName: givenText(raw, 'function-name') ?? functionNameFor(taskRoot),
    memoryMb: parseMemoryMb(textOption(raw, 'memory')),
    timeoutMs: Math.round(parseTimeoutSeconds(textOption(raw, 'timeout')) * 1000),
    initTimeoutMs: DEFAULTS.initTimeoutMs,
    region: textOption(raw, 'region'),
    extraEnv: parseEnvPairs(lineOption(raw, 'env')),
  };
  if (rscript) config.rscript = rscript;
  const maxConcurrency = givenText(raw, 'max-concurrency');
  if (maxConcurrency !== undefined) config.maxConcurrency = parseMaxConcurrency(maxConcurrency);
  const logFormat = givenText(raw, 'log-format');
  if (logFormat !== undefined) config.logFormat = parseLogFormat(logFormat);
  const logLevel = givenText(raw, 'log-level');
  if (logLevel !== undefined) {
    config.logLevel = parseLogLevel(logLevel);
    // Lambda's LoggingConfig refuses an application log level with the Text format.
    if (logFormatOf(config) !== 'JSON') {
      throw optionError(
        'log-level',
        'Lambda sets an application log level only with the JSON log format',
        'it together with --log-format JSON',
      );
    }
  }
  return config;
}

function checkTaskRoot(dir: string): string {
  const absolute = path.resolve(dir);
  if (!isDirectory(absolute)) throw optionError('task-root', `${dir} is not a folder`);
  return absolute;
}

function checkOptTree(dir: string): string {
  const bootstrap = path.join(path.resolve(dir), LAYOUT.bootstrap);
  if (!isExecutable(bootstrap)) throw optionError('opt', `${dir} has no executable bootstrap`);
  return bootstrap;
}

function checkRscript(file: string): string {
  const absolute = path.resolve(file);
  if (!isExecutable(absolute)) throw optionError('rscript', `${file} is not an executable file`);
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
