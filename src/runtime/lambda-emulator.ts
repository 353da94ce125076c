/**
 * What Lambda does around a runtime, for one function: starts the runtime on the first
 * invocation (cold start) and keeps it warm, hands it one event at a time, enforces the timeout
 * (killing the runtime, which starts again at the next invocation), notices crashes and init
 * errors, and logs START / END / REPORT lines.
 */
import { Writable } from 'node:stream';
import type { FunctionConfig } from './lambda-environment.js';
import { functionArn, lambdaEnvironment, logFormatOf, logStreamName } from './lambda-environment.js';
import type { Ending, Invocation, InvocationExtras, InvocationOutcome } from './invocation.js';
import {
  errorPayload,
  exitDescription,
  exitOutcome,
  MAX_PAYLOAD_BYTES,
  newInvocation,
  platformRecord,
  reportLine,
  reportRecord,
  responseTooLargeOutcome,
  streamTooLargeOutcome,
  timeoutOutcome,
} from './invocation.js';
import { localRuntimeLibrary } from './local-runtime.js';
import { RuntimeApiServer, type StreamEnd } from './runtime-api-server.js';
import { startRuntimeProcess } from './runtime-process.js';
import type { RuntimeProcess } from './runtime-process.js';

export interface EmulatorIo {
  /** The runtime's output and the START/END/REPORT lines (what CloudWatch would show). */
  log: NodeJS.WritableStream;
}

/**
 * Where a streamed response's body goes, given its content type: `invoke` prints it, `serve` answers with it.
 * Without one the emulator collects it into the outcome's payload, up to 6 MB, as AWS's own emulator does.
 */
export type StreamSink = (contentType: string) => Writable;

/** An invocation in flight. */
interface Pending {
  invocation: Invocation;
  runtime: Runtime;
  deliveredAt?: number;
  /** When the function's clock started, if before delivery (a warm runtime: at invoke). */
  clockStartedAt?: number;
  initDurationMs?: number;
  sink?: StreamSink;
  stream?: { contentType: string; sink: Writable; collected?: Collector };
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

/** A streamed body was cut off without the runtime exiting: after this long, the invocation fails on its own. */
const BROKEN_STREAM_GRACE_MS = 200;

export class LambdaEmulator {
  private runtime: Runtime | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Invocations running, and those waiting for one of the maxConcurrency slots. */
  private running = 0;
  private readonly waitingForSlot: (() => void)[] = [];
  private readonly maxConcurrency: number;
  private readonly logStream = logStreamName();
  private closed = false;

  private constructor(
    private readonly config: FunctionConfig,
    private readonly io: EmulatorIo,
    private readonly api: RuntimeApiServer,
    private readonly address: string,
  ) {
    this.maxConcurrency = config.maxConcurrency ?? 1;
  }

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
      {
        functionArn: functionArn(config),
        timeoutMs: config.timeoutMs,
        maxConcurrency: config.maxConcurrency ?? 1,
      },
      {
        onNextRequested: () => ref.self?.runtime?.markReady(),
        onDelivered: (invocation) => ref.self?.pending.get(invocation.requestId)?.delivered(),
        onResponse: (id, payload) => settle(id, { kind: 'success', payload }),
        onFunctionError: (id, errorType, payload) =>
          settle(id, { kind: 'function-error', errorType, payload }),
        onResponseTooLarge: (id, bytes) => settle(id, responseTooLargeOutcome(id, bytes)),
        onInitError: (errorType, payload) => {
          if (ref.self?.runtime) ref.self.runtime.initError = { errorType, payload };
        },
        onStreamStart: (id, contentType) => ref.self?.streamStarted(id, contentType),
        onStreamEnd: (id, end) => ref.self?.streamEnded(id, end),
      },
    );
    ref.self = new LambdaEmulator(config, io, api, await api.listen());
    return ref.self;
  }

  /**
   * Runs one invocation. Invocations queue up and run one at a time, as in one Lambda environment, or up to
   * maxConcurrency at once (Managed Instances). A streamed response goes to `sink` as it arrives.
   */
  async invoke(
    payload: Buffer,
    extras: InvocationExtras = {},
    sink?: StreamSink,
  ): Promise<InvocationOutcome> {
    await this.takeSlot();
    try {
      return await this.invokeNow(newInvocation(payload, extras), sink);
    } finally {
      this.releaseSlot();
    }
  }

  private async takeSlot(): Promise<void> {
    if (this.running < this.maxConcurrency) {
      this.running += 1;
      return;
    }
    // The slot is handed over by releaseSlot(), so `running` stays counted for the waiter.
    await new Promise<void>((resolve) => this.waitingForSlot.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waitingForSlot.shift();
    if (next) next();
    else this.running -= 1;
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
      workers: this.maxConcurrency > 1,
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

  private async invokeNow(invocation: Invocation, sink: StreamSink | undefined): Promise<InvocationOutcome> {
    if (this.closed) throw new Error('the emulator is closed');
    const cold = !this.runtime;
    const runtime = this.runtime ?? this.spawn();
    // Past init, Lambda's clock starts at invoke, not when the runtime takes the event: a warm
    // runtime that never asks for it again still times out.
    const initializing = !runtime.isReady;
    this.logStart(invocation.requestId);
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
        runtime,
        delivered: () => {
          pending.deliveredAt = performance.now();
          if (initializing) armFunctionTimeout();
        },
        finish: (ending) => {
          if (this.pending.get(invocation.requestId) !== pending) return;
          this.pending.delete(invocation.requestId);
          clearTimeout(timer);
          this.api.abandon(invocation.requestId);
          resolve(this.measured(ending, pending, runtime));
        },
      };
      if (sink) pending.sink = sink;
      this.pending.set(invocation.requestId, pending);
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

  /** The runtime began streaming invocation `id`'s response: the sink it goes to. */
  private streamStarted(id: string, contentType: string): Writable | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    if (pending.sink) {
      const sink = pending.sink(contentType);
      pending.stream = { contentType, sink };
      return sink;
    }
    const collected = new Collector(MAX_PAYLOAD_BYTES);
    pending.stream = { contentType, sink: collected, collected };
    return collected;
  }

  /** The streamed body ended: once the sink has taken all of it, the invocation is over. */
  private streamEnded(id: string, end: StreamEnd): void {
    const pending = this.pending.get(id);
    const stream = pending?.stream;
    if (!pending || !stream) return;
    stream.sink.end(() => this.streamSettled(pending, stream, id, end));
  }

  private streamSettled(
    pending: Pending,
    stream: NonNullable<Pending['stream']>,
    id: string,
    end: StreamEnd,
  ): void {
    const streamed = { contentType: stream.contentType, bytes: end.bytes };
    const overflow = stream.collected?.overflow === true;
    switch (end.kind) {
      case 'complete':
        if (overflow) pending.finish({ ...responseTooLargeOutcome(id, end.bytes), streamed });
        else
          pending.finish({
            kind: 'success',
            requestId: id,
            payload: stream.collected?.bytes() ?? Buffer.alloc(0),
            streamed,
          });
        return;
      case 'function-error':
        pending.finish({
          kind: 'function-error',
          requestId: id,
          errorType: end.errorType,
          payload: end.payload,
          streamed,
        });
        return;
      case 'too-large':
        pending.finish({ ...streamTooLargeOutcome(id, end.bytes), streamed });
        return;
      case 'broken':
        // Usually the runtime died mid-stream: its exit settles the invocation (Runtime.ExitError). If it lives on,
        // the connection was dropped on purpose or by mistake, and the response is incomplete either way.
        setTimeout(() => {
          pending.finish({
            kind: 'function-error',
            requestId: id,
            errorType: 'Runtime.TruncatedResponse',
            payload: errorPayload(
              'Runtime.TruncatedResponse',
              `RequestId: ${id} Error: the runtime closed its streamed response after ${end.bytes} bytes without finishing it`,
            ),
            streamed,
          });
        }, BROKEN_STREAM_GRACE_MS);
        return;
    }
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
    this.pending.get(requestId)?.finish({ ...ending, requestId });
  }

  /** The runtime ended: an init failure if it never got past init, else a crash of its invocations. */
  private onExit(runtime: Runtime, exit: string): void {
    for (const pending of [...this.pending.values()]) {
      if (pending.runtime !== runtime) continue;
      const id = pending.invocation.requestId;
      if (runtime.isReady) pending.finish(exitOutcome('function-error', id, exit));
      else if (runtime.initError) pending.finish({ kind: 'init-error', requestId: id, ...runtime.initError });
      else pending.finish(exitOutcome('init-error', id, exit));
    }
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

  private logStart(requestId: string): void {
    if (logFormatOf(this.config) === 'JSON') {
      this.io.log.write(platformRecord('platform.start', { requestId, version: '$LATEST' }) + '\n');
    } else this.io.log.write(`START RequestId: ${requestId} Version: $LATEST\n`);
  }

  private logReport(outcome: InvocationOutcome): void {
    const figures = {
      requestId: outcome.requestId,
      durationMs: outcome.durationMs,
      memorySizeMb: this.config.memoryMb,
      ...(outcome.maxMemoryUsedMb !== undefined && { maxMemoryUsedMb: outcome.maxMemoryUsedMb }),
      ...(outcome.initDurationMs !== undefined && { initDurationMs: outcome.initDurationMs }),
      ...(outcome.kind !== 'success' && {
        status: outcome.errorType === 'Sandbox.Timedout' ? 'timeout' : 'error',
      }),
    };
    if (logFormatOf(this.config) === 'JSON') {
      this.io.log.write(platformRecord('platform.report', reportRecord(figures)) + '\n');
      return;
    }
    this.io.log.write(`END RequestId: ${outcome.requestId}\n`);
    this.io.log.write(reportLine(figures) + '\n');
  }
}

/** Collects a streamed body for a caller that gave no sink, up to `limit` bytes (past it: overflow, the rest dropped). */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  overflow = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.size += chunk.length;
    if (this.size > this.limit) this.overflow = true;
    else this.chunks.push(chunk);
    done();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
