/**
 * The one way this project runs a program: without a shell, with its arguments as a list. `run` never throws for a
 * non-zero exit (the caller decides what failure means); `runChecked` does; `runSync` is for the one caller that must
 * stay synchronous (reading the host's glibc version).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Append stdout and stderr here instead of returning them. */
  logFile?: string;
}

export interface RunResult {
  /** Exit status; batch tools (ldd, readelf, strip) exit non-zero when one file fails, and still report the others. */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a program and collect its output (however large: readelf --version-info over a batch of libraries prints tens
 * of MB). Rejects only when the program cannot start (missing, not executable).
 */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  let logStream: NodeJS.WritableStream | undefined;
  if (options.logFile) {
    await mkdir(path.dirname(options.logFile), { recursive: true });
    logStream = createWriteStream(options.logFile, { flags: 'a' });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => (logStream ? logStream.write(d) : out.push(d)));
    child.stderr.on('data', (d: Buffer) => (logStream ? logStream.write(d) : err.push(d)));
    child.on('error', (error) => {
      logStream?.end();
      // Not an exit status: the program is missing (ENOENT) or could not start.
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      const finish = (): void =>
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      if (logStream) logStream.end(finish);
      else finish();
    });
  });
}

/** Run and throw with the output when it fails: for steps whose failure is a bug or a broken host. */
export async function runChecked(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${result.code}: ${(result.stderr || result.stdout).trim().slice(-2000)}`,
    );
  }
  return result.stdout;
}

/** Synchronous `runChecked` for a short command's stdout; throws when it cannot start or fails. */
export function runSync(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
