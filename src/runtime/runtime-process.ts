/**
 * The runtime's process: bootstrap started in its own process group (so a timeout can kill R and
 * anything it started), its output forwarded to a log stream, its exit observed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RuntimeProcess {
  readonly pid: number;
  readonly startedAt: number;
  readonly exited: Promise<ProcessExit>;
  /** Kills the whole process group. */
  kill(): void;
  /**
   * Peak resident memory of the runtime (the bootstrap's pid becomes R's through exec), in MB; with `workers`, the
   * sum of its own and its child processes' peaks (an upper bound: they need not peak at once).
   */
  maxMemoryUsedMb(): number | undefined;
}

export interface StartOptions {
  bootstrap: string;
  cwd: string;
  env: Record<string, string>;
  /** Where the runtime's stdout and stderr go (the function's log). */
  log: NodeJS.WritableStream;
  /** The runtime forks workers (Managed Instances): count their memory too. */
  workers?: boolean;
}

export function startRuntimeProcess(options: StartOptions): RuntimeProcess {
  const startedAt = performance.now();
  const child = spawn(options.bootstrap, [], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(options.log, { end: false });
  child.stderr.pipe(options.log, { end: false });
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', (error) => {
      options.log.write(`runtime: cannot start ${options.bootstrap}: ${error.message}\n`);
      resolve({ code: 127, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const pid = child.pid ?? -1;
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  return {
    pid,
    startedAt,
    exited,
    kill() {
      if (!alive || pid <= 0) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
    maxMemoryUsedMb: () => {
      const own = peakKb(pid);
      if (own === undefined || !options.workers)
        return own === undefined ? undefined : Math.round(own / 1024);
      const children = childPids(pid).map((child) => peakKb(child) ?? 0);
      return Math.round(children.reduce((sum, kb) => sum + kb, own) / 1024);
    },
  };
}

function peakKb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb ? Number(kb) : undefined;
  } catch {
    return undefined;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
