/**
 * The runtime's life around its invocations, with the real bootstrap and real R: a warm runtime
 * that never asks for its next event still times out (Lambda's clock starts at invoke); Ctrl-C or
 * SIGTERM to `invoke` or `serve` leaves no R behind; and an R without jsonlite reports an init
 * error through /init/error instead of just exiting.
 */
import { jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  REPO_ROOT,
  RSCRIPT,
  describeWithR,
  expectLog,
  expectSuccess,
  parsed,
  startFunction,
  writeTaskRoot,
} from './runtime-harness.js';

jest.setTimeout(120_000);

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(REPO_ROOT, 'src', 'cli.ts');

/** Fails instead of hanging when `promise` does not settle within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 50) {
    if (waited >= ms) throw new Error(`${what} (waited ${ms} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A process is alive while /proc has it and it is not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describeWithR('a warm runtime that never asks for its next event', () => {
  // After answering {"stall": true}, the runtime's loop hangs instead of calling GET /next again,
  // as a runtime stuck after its response would.
  const STALLING = `handler <- function(event, context) {
  if (isTRUE(event$stall)) {
    for (i in rev(seq_len(sys.nframe()))) {
      env <- environment(sys.function(i))
      if (!is.null(env) && exists("api_next_invocation", envir = env, inherits = FALSE)) {
        unlockBinding("api_next_invocation", env) # the runtime package's namespace is locked
        assign("api_next_invocation", function() Sys.sleep(3600), envir = env)
        break
      }
    }
  }
  list(pid = Sys.getpid())
}
`;

  test('times out from the moment of invoke, is killed, and the next call gets a new runtime', async () => {
    const fn = await startFunction(writeTaskRoot({ 'stall.R': STALLING }), 'stall.handler', {
      timeoutMs: 1500,
    });
    try {
      const first = expectSuccess(await fn.invoke({ stall: true }), fn) as { pid: number };
      const started = performance.now();
      const stuck = await within(
        fn.invoke({}),
        15_000,
        'an invocation of a runtime that never calls GET /next',
      );
      expect(stuck.kind).toBe('function-error');
      expect(stuck.errorType).toBe('Sandbox.Timedout');
      expect((parsed(stuck) as { errorMessage: string }).errorMessage).toMatch(
        /Task timed out after 1\.50 seconds/,
      );
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(stuck.durationMs).toBeGreaterThanOrEqual(1400);
      await expectLog(fn, /Status: timeout/);
      await waitFor(() => !isAlive(first.pid), 5000, `the stuck R process ${first.pid} is still running`);
      const after = expectSuccess(await fn.invoke({}), fn) as { pid: number };
      expect(after.pid).not.toBe(first.pid);
    } finally {
      await fn.close();
    }
  });
});

describeWithR('interrupting invoke and serve stops R', () => {
  // The handler writes its pid where the test can find it, then outlives any test.
  const SLEEPER = `handler <- function(event, context) {
  writeLines(as.character(Sys.getpid()), file.path(Sys.getenv("LAMBDA_TASK_ROOT"), "r.pid"))
  Sys.sleep(30)
  "woke up"
}
`;

  async function rPidOf(taskRoot: string, child: ChildProcess, stderr: () => string): Promise<number> {
    const file = path.join(taskRoot, 'r.pid');
    await waitFor(
      () => existsSync(file) && /^\d+\n/.test(readFileSync(file, 'utf8')),
      60_000,
      `the handler never started:\n${stderr()}`,
    );
    expect(child.exitCode).toBeNull();
    const pid = Number(readFileSync(file, 'utf8').trim());
    expect(isAlive(pid)).toBe(true);
    return pid;
  }

  function start(args: string[]): {
    child: ChildProcess;
    stderr: () => string;
    closed: Promise<number | null>;
  } {
    const child = spawn(TSX, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.resume();
    const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    return { child, stderr: () => stderr, closed };
  }

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('invoke: %s during a long handler kills R and exits %d', async (signal, exitCode) => {
    const root = writeTaskRoot({ 'sleepy.R': SLEEPER });
    const run = start(['invoke', '--task-root', root, '--handler', 'sleepy.handler', '--timeout', '120']);
    let pid: number | undefined;
    try {
      pid = await rPidOf(root, run.child, run.stderr);
      run.child.kill(signal);
      expect(await within(run.closed, 10_000, `invoke after ${signal}`)).toBe(exitCode);
      await waitFor(() => !isAlive(pid as number), 3000, `R (pid ${pid}) survived ${signal} to invoke`);
      expect(run.stderr()).toContain(`${signal}: stopped the R runtime`);
    } finally {
      run.child.kill('SIGKILL');
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  test('serve: SIGTERM during a long handler kills R and exits 143', async () => {
    const root = writeTaskRoot({ 'sleepy.R': SLEEPER });
    const run = start([
      'serve',
      '--task-root',
      root,
      '--handler',
      'sleepy.handler',
      '--timeout',
      '120',
      '--port',
      '0',
    ]);
    let pid: number | undefined;
    try {
      await waitFor(
        () => /listening on http/.test(run.stderr()),
        60_000,
        `serve did not start:\n${run.stderr()}`,
      );
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+\S+)/.exec(run.stderr())?.[1] as string;
      const call = fetch(url, { method: 'POST', body: '{}' }).then(
        () => 'answered',
        () => 'dropped',
      );
      pid = await rPidOf(root, run.child, run.stderr);
      run.child.kill('SIGTERM');
      expect(await within(run.closed, 10_000, 'serve after SIGTERM')).toBe(143);
      await waitFor(() => !isAlive(pid as number), 3000, `R (pid ${pid}) survived SIGTERM to serve`);
      expect(await call).toBe('dropped');
    } finally {
      run.child.kill('SIGKILL');
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

describeWithR('an R without jsonlite', () => {
  // Debian's R finds jsonlite in /usr/lib/R/site-library through R_LIBS_SITE (.Library.site); an
  // empty folder there hides it, as in an r layer built without it.
  const dir = mkdtempSync(path.join(tmpdir(), 'r-lambda-nojsonlite-'));
  const emptyLibrary = path.join(dir, 'empty-library');
  const rscript = path.join(dir, 'Rscript');
  beforeAll(() => {
    mkdirSync(emptyLibrary, { recursive: true });
    writeFileSync(
      rscript,
      // R_LIBS keeps what the emulator gives it (the runtime package built for this R), with the empty folder first.
      `#!/bin/sh\nR_LIBS_SITE='${emptyLibrary}' R_LIBS="${emptyLibrary}\${R_LIBS:+:$R_LIBS}" exec ${RSCRIPT} --no-site-file "$@"\n`,
    );
    chmodSync(rscript, 0o755);
  });
  const TASK = writeTaskRoot({ 'app.R': 'handler <- function(event) "never called"\n' });
  const MESSAGE = /jsonlite.*must be installed in R's own library of the r layer/;

  test('the wrapper R really has no jsonlite', () => {
    const check = spawnSync(rscript, ['-e', 'cat(requireNamespace("jsonlite", quietly = TRUE))'], {
      encoding: 'utf8',
    });
    expect(check.stdout).toBe('FALSE');
  });

  test('is an init error posted to /init/error that names jsonlite and the r layer', async () => {
    const fn = await startFunction(TASK, 'app.handler', { rscript });
    try {
      const outcome = await fn.invoke({});
      expect(outcome.kind).toBe('init-error');
      // What the runtime POSTed to /init/error; an exit without it would be Runtime.ExitError.
      expect(outcome.errorType).toBe('Runtime.InitError');
      const report = parsed(outcome) as { errorType: string; errorMessage: string; stackTrace: unknown };
      expect(report.errorType).toBe('Runtime.InitError');
      expect(report.errorMessage).toMatch(MESSAGE);
      expect(report.errorMessage).toMatch(/cannot find the R package jsonlite/);
      expect(report.stackTrace).toEqual([]);
      await expectLog(fn, 'Init failed. Runtime.InitError');
    } finally {
      await fn.close();
    }
  });

  test('makes `invoke` exit 2 with the error JSON', () => {
    const run = spawnSync(
      TSX,
      [CLI, 'invoke', '--task-root', TASK, '--handler', 'app.handler', '--rscript', rscript],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    expect(run.status).toBe(2);
    const report = JSON.parse(run.stdout) as { errorType: string; errorMessage: string };
    expect(report.errorType).toBe('Runtime.InitError');
    expect(report.errorMessage).toMatch(MESSAGE);
    expect(run.stderr).toContain('error: init failed (Runtime.InitError)');
  });
});

describeWithR('an R without the runtime package', () => {
  // The emulator hands the runtime package to the host's R through R_LIBS; a wrapper that drops it plays an r layer
  // built without it. layer/runtime.R must still report the init error, naming the layer to rebuild.
  const dir = mkdtempSync(path.join(tmpdir(), 'r-lambda-noruntime-'));
  const rscript = path.join(dir, 'Rscript');
  beforeAll(() => {
    writeFileSync(rscript, `#!/bin/sh\nR_LIBS= exec ${RSCRIPT} "$@"\n`);
    chmodSync(rscript, 0o755);
  });

  test('is Runtime.InitError posted to /init/error by runtime.R, naming the package and the r layer', async () => {
    const fn = await startFunction(
      writeTaskRoot({ 'app.R': 'handler <- function(event) "never called"\n' }),
      'app.handler',
      {
        rscript,
      },
    );
    try {
      const outcome = await fn.invoke({});
      expect(outcome.kind).toBe('init-error');
      expect(outcome.errorType).toBe('Runtime.InitError');
      const report = parsed(outcome) as { errorMessage: string; stackTrace: unknown };
      expect(report.errorMessage).toMatch(
        /The R runtime \(the R package lambdaruntime\) cannot load: .*rebuild the r layer/,
      );
      expect(report.stackTrace).toEqual([]);
      await expectLog(fn, 'Init failed. Runtime.InitError');
    } finally {
      await fn.close();
    }
  });
});
