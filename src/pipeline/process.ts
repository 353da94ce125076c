import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Append stdout and stderr here instead of returning them. */
  logFile?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program without a shell; never throws for a non-zero exit (callers decide what failure means). */
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
      reject(error);
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

/** Copy a folder's contents into another, keeping modes, symlinks and hard links (`cp -a`). */
export async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  await runChecked('cp', ['-a', `${from}/.`, `${to}/`]);
}

/** The last `n` lines of a log file, for error messages. */
export async function tail(file: string, n = 50): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
