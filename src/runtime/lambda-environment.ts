/**
 * The function's settings and the environment Lambda gives a provided.al2023 runtime, computed
 * from them. Pure.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LAMBDA_RUNTIME } from '../layers.js';

export interface FunctionConfig {
  /** Absolute path of the bootstrap to run; its folder plays the role of /opt. */
  bootstrap: string;
  /** Absolute path of the function's code (/var/task on Lambda). */
  taskRoot: string;
  /** _HANDLER: file.function */
  handler: string;
  functionName: string;
  memoryMb: number;
  timeoutMs: number;
  /** Lambda gives init 10 s on demand. */
  initTimeoutMs: number;
  region: string;
  /** An Rscript the bootstrap should use instead of the layer's R (R_LAMBDA_RSCRIPT). */
  rscript?: string;
  /** A library holding the runtime package built for `rscript`'s R (local-runtime.ts), given to R as R_LIBS. */
  runtimeLibrary?: string;
  /** --env KEY=VALUE pairs, applied last. */
  extraEnv: Record<string, string>;
  /** Lambda Managed Instances: invocations the runtime serves at once (AWS_LAMBDA_MAX_CONCURRENCY). */
  maxConcurrency?: number;
  /** AWS_LAMBDA_LOG_FORMAT; Text unless given, JSON on Managed Instances (see logFormatOf()). */
  logFormat?: LogFormat;
  /** AWS_LAMBDA_LOG_LEVEL (application log level; Lambda allows it with the JSON format only). */
  logLevel?: LogLevel;
}

/** The values of Lambda's LoggingConfig (LogFormat, ApplicationLogLevel) as its API spells them. */
export const LOG_FORMATS = ['Text', 'JSON'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Managed Instances take JSON logs only, so JSON is their default; Text everywhere else. */
export function logFormatOf(config: Pick<FunctionConfig, 'logFormat' | 'maxConcurrency'>): LogFormat {
  return config.logFormat ?? (config.maxConcurrency === undefined ? 'Text' : 'JSON');
}

export const DEFAULTS = {
  memoryMb: 128,
  timeoutSeconds: 3,
  initTimeoutMs: 10_000,
  region: 'us-east-1',
  version: '$LATEST',
  accountId: '123456789012',
} as const;

export function functionArn(config: Pick<FunctionConfig, 'region' | 'functionName'>): string {
  return `arn:aws:lambda:${config.region}:${DEFAULTS.accountId}:function:${config.functionName}`;
}

/** A function name Lambda would accept, derived from a folder name. */
export function functionNameFor(taskRoot: string): string {
  const name = path
    .basename(taskRoot)
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 64);
  return /[A-Za-z0-9]/.test(name) ? name : 'function';
}

export function logStreamName(now: Date = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[${DEFAULTS.version}]${randomBytes(16).toString('hex')}`;
}

export function lambdaEnvironment(
  config: FunctionConfig,
  runtimeApi: string,
  stream: string,
): Record<string, string> {
  const layerRoot = path.dirname(config.bootstrap);
  const env: Record<string, string> = {
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    _HANDLER: config.handler,
    LAMBDA_TASK_ROOT: config.taskRoot,
    LAMBDA_RUNTIME_DIR: layerRoot,
    AWS_LAMBDA_FUNCTION_NAME: config.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: DEFAULTS.version,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: stream,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: config.region,
    AWS_DEFAULT_REGION: config.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${LAMBDA_RUNTIME}`,
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    // Lambda's PATH and library path, with the layer folder standing in for /opt.
    PATH: `/usr/local/bin:/usr/bin/:/bin:${path.join(layerRoot, 'bin')}`,
    LD_LIBRARY_PATH: [config.taskRoot, path.join(config.taskRoot, 'lib'), path.join(layerRoot, 'lib')].join(
      ':',
    ),
  };
  if (config.rscript) env.R_LAMBDA_RSCRIPT = config.rscript;
  if (config.runtimeLibrary) env.R_LIBS = config.runtimeLibrary;
  if (config.maxConcurrency !== undefined) {
    env.AWS_LAMBDA_MAX_CONCURRENCY = String(config.maxConcurrency);
    env.AWS_LAMBDA_INITIALIZATION_TYPE = 'lambda-managed-instances';
  }
  if (config.logFormat !== undefined || config.maxConcurrency !== undefined) {
    env.AWS_LAMBDA_LOG_FORMAT = logFormatOf(config);
  }
  if (config.logLevel) env.AWS_LAMBDA_LOG_LEVEL = config.logLevel;
  return { ...env, ...config.extraEnv };
}
