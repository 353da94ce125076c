/**
 * What Lambda does around a runtime, for one function: starts the runtime on the first
 * invocation (cold start) and keeps it warm, hands it one event at a time, enforces the timeout
 * (killing the runtime, which starts again at the next invocation), notices crashes and init
 * errors, and logs START / END / REPORT lines.
 */
import type { FunctionConfig } from './lambda-environment.js';
import { functionArn, lambdaEnvironment, logStreamName } from './lambda-environment.js';
import type { Ending, Invocation, InvocationExtras, InvocationOutcome } from './invocation.js';
import {
  errorPayload,
  exitDescription,
  exitOutcome,
  newInvocation,
  reportLine,
  responseTooLargeOutcome,
  timeoutOutcome,
} from './invocation.js';
import { localRuntimeLibrary } from './local-runtime.js';
import { RuntimeApiServer } from './runtime-api-server.js';
import { startRuntimeProcess } from './runtime-process.js';
import type { RuntimeProcess } from './runtime-process.js';

export interface EmulatorIo {
  /** The runtime's output and the START/END/REPORT lines (what CloudWatch would show). */
  log: NodeJS.WritableStream;
}

/** The one invocation in flight. */
interface Pending {
  invocation: Invocation;
  deliveredAt?: number;
  /** When the function's clock started, if before delivery (a warm runtime: at invoke). */
  clockStartedAt?: number;
  initDurationMs?: number;
  delivered(): void;
  finish(ending: Ending): void;
}

/** The running runtime process and what is known about its init. */
interface Runtime {
  process: RuntimeProcess;
  /** Resolves with the init duration when the runtime first asks for an event. */
  ready: Promise<number>;
  markReady(): void;
  isReady: boolean;
  initError?: { errorType: string; payload: Buffer };
}

export class LambdaEmulator {
  private runtime: Runtime | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly logStream = logStreamName();
  private closed = false;

  private constructor(
    private readonly config: FunctionConfig,
    private readonly io: EmulatorIo,
    private readonly api: RuntimeApiServer,
    private readonly address: string,
  ) {}

  static async start(given: FunctionConfig, io: EmulatorIo): Promise<LambdaEmulator> {
    // The host's R needs the runtime package built for it; a layer tree's R has its own.
    const config =
      given.rscript && !given.runtimeLibrary
        ? { ...given, runtimeLibrary: await localRuntimeLibrary(given.rscript) }
        : given;
    // The server's listener needs the emulator, which needs the server's address.
    const ref: { self?: LambdaEmulator } = {};
    const settle = (id: string, ending: Omit<Ending, 'requestId'>): void => ref.self?.settle(id, ending);
    const api = new RuntimeApiServer(
      { functionArn: functionArn(config), timeoutMs: config.timeoutMs },
      {
        onNextRequested: () => ref.self?.runtime?.markReady(),
        onDelivered: () => ref.self?.pending?.delivered(),
        onResponse: (id, payload) => settle(id, { kind: 'success', payload }),
        onFunctionError: (id, errorType, payload) =>
          settle(id, { kind: 'function-error', errorType, payload }),
        onResponseTooLarge: (id, bytes) => settle(id, responseTooLargeOutcome(id, bytes)),
        onInitError: (errorType, payload) => {
          if (ref.self?.runtime) ref.self.runtime.initError = { errorType, payload };
        },
      },
    );
    ref.self = new LambdaEmulator(config, io, api, await api.listen());
    return ref.self;
  }

  /** Runs one invocation; invocations queue up and run one at a time, as in one Lambda environment. */
  invoke(payload: Buffer, extras: InvocationExtras = {}): Promise<InvocationOutcome> {
    const run = this.queue.then(() => this.invokeNow(newInvocation(payload, extras)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Starts the runtime unless it runs, and resolves when it asks for its first event (init ms, 0 if warm). */
  async warm(): Promise<number> {
    if (this.runtime) {
      await this.runtime.ready;
      return 0;
    }
    return this.spawn().ready;
  }

  /**
   * Kills the runtime's process group now, synchronously: for signal handlers and process 'exit'
   * hooks, where nothing can be awaited.
   */
  killRuntime(): void {
    this.runtime?.process.kill();
  }

  /** Stops the runtime; the next invocation is a cold start. */
  async stopRuntime(): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) return;
    runtime.process.kill();
    await runtime.process.exited;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopRuntime();
    await this.api.close();
  }

  private spawn(): Runtime {
    this.api.reset();
    const env = lambdaEnvironment(this.config, this.address, this.logStream);
    const child = startRuntimeProcess({
      bootstrap: this.config.bootstrap,
      cwd: this.config.taskRoot,
      env,
      log: this.io.log,
    });
    let resolveReady: (ms: number) => void = () => undefined;
    const runtime: Runtime = {
      process: child,
      ready: new Promise<number>((resolve) => (resolveReady = resolve)),
      isReady: false,
      markReady() {
        if (runtime.isReady) return;
        runtime.isReady = true;
        resolveReady(performance.now() - child.startedAt);
      },
    };
    this.runtime = runtime;
    void child.exited.then((exit) => {
      if (this.runtime === runtime) this.runtime = undefined;
      this.onExit(runtime, exitDescription(exit.code, exit.signal));
    });
    return runtime;
  }

  private async invokeNow(invocation: Invocation): Promise<InvocationOutcome> {
    if (this.closed) throw new Error('the emulator is closed');
    const cold = !this.runtime;
    const runtime = this.runtime ?? this.spawn();
    // Past init, Lambda's clock starts at invoke, not when the runtime takes the event: a warm
    // runtime that never asks for it again still times out.
    const initializing = !runtime.isReady;
    this.io.log.write(`START RequestId: ${invocation.requestId} Version: $LATEST\n`);
    const outcome = await new Promise<InvocationOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const armFunctionTimeout = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          runtime.process.kill();
          pending.finish(timeoutOutcome(invocation.requestId, this.config.timeoutMs));
        }, this.config.timeoutMs);
      };
      const pending: Pending = {
        invocation,
        delivered: () => {
          pending.deliveredAt = performance.now();
          if (initializing) armFunctionTimeout();
        },
        finish: (ending) => {
          if (this.pending !== pending) return;
          this.pending = undefined;
          clearTimeout(timer);
          this.api.abandon();
          resolve(this.measured(ending, pending, runtime));
        },
      };
      this.pending = pending;
      if (cold) void runtime.ready.then((ms) => (pending.initDurationMs = ms));
      if (initializing) {
        timer = setTimeout(() => this.initTimedOut(pending, runtime), this.config.initTimeoutMs);
      } else {
        pending.clockStartedAt = performance.now();
        invocation.deadlineMs = Date.now() + this.config.timeoutMs;
        armFunctionTimeout();
      }
      this.api.enqueue(invocation);
    });
    this.logReport(outcome);
    if (outcome.kind === 'init-error' || outcome.errorType === 'Sandbox.Timedout') await this.stopRuntime();
    return outcome;
  }

  private measured(ending: Ending, pending: Pending, runtime: Runtime): InvocationOutcome {
    const startedAt = pending.clockStartedAt ?? pending.deliveredAt;
    const durationMs = startedAt === undefined ? 0 : performance.now() - startedAt;
    const outcome: InvocationOutcome = { ...ending, durationMs };
    if (pending.initDurationMs !== undefined) outcome.initDurationMs = pending.initDurationMs;
    const memory = runtime.process.maxMemoryUsedMb();
    if (memory !== undefined) outcome.maxMemoryUsedMb = memory;
    return outcome;
  }

  private settle(requestId: string, ending: Omit<Ending, 'requestId'>): void {
    if (this.pending?.invocation.requestId === requestId) this.pending.finish({ ...ending, requestId });
  }

  /** The runtime ended: an init failure if it never got past init, else a crash of this invocation. */
  private onExit(runtime: Runtime, exit: string): void {
    const pending = this.pending;
    if (!pending) return;
    const id = pending.invocation.requestId;
    if (runtime.isReady) pending.finish(exitOutcome('function-error', id, exit));
    else if (runtime.initError) pending.finish({ kind: 'init-error', requestId: id, ...runtime.initError });
    else pending.finish(exitOutcome('init-error', id, exit));
  }

  private initTimedOut(pending: Pending, runtime: Runtime): void {
    const seconds = (this.config.initTimeoutMs / 1000).toFixed(2);
    runtime.process.kill();
    pending.finish({
      kind: 'init-error',
      requestId: pending.invocation.requestId,
      errorType: 'Sandbox.Timedout',
      payload: errorPayload('Sandbox.Timedout', `The runtime did not finish init within ${seconds} seconds`),
    });
  }

  private logReport(outcome: InvocationOutcome): void {
    this.io.log.write(`END RequestId: ${outcome.requestId}\n`);
    const line = reportLine({
      requestId: outcome.requestId,
      durationMs: outcome.durationMs,
      memorySizeMb: this.config.memoryMb,
      ...(outcome.maxMemoryUsedMb !== undefined && { maxMemoryUsedMb: outcome.maxMemoryUsedMb }),
      ...(outcome.initDurationMs !== undefined && { initDurationMs: outcome.initDurationMs }),
      ...(outcome.kind !== 'success' && {
        status: outcome.errorType === 'Sandbox.Timedout' ? 'timeout' : 'error',
      }),
    });
    this.io.log.write(line + '\n');
  }
}
