/**
 * What one invocation is and how it ended, plus the error payloads and log lines Lambda itself
 * produces around a runtime (timeouts, crashes, REPORT). Pure.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface Invocation {
  requestId: string;
  payload: Buffer;
  traceId: string;
  /** Raw header values, passed to the runtime as Lambda does (JSON text). */
  clientContext?: string;
  cognitoIdentity?: string;
  /** Epoch ms when the function times out, once its clock runs (else set at delivery). */
  deadlineMs?: number;
}

export type OutcomeKind = 'success' | 'function-error' | 'init-error';

export interface InvocationOutcome {
  kind: OutcomeKind;
  requestId: string;
  /** The response payload, or the error JSON for the two error kinds. */
  payload: Buffer;
  /** errorType for the error kinds. */
  errorType?: string;
  /**
   * From the start of the function's clock to the outcome: invoke for a warm runtime, delivery of
   * the event after a cold start (0 when a starting runtime never got the event).
   */
  durationMs: number;
  /** Set on a cold start: runtime process started → first GET /invocation/next. */
  initDurationMs?: number;
  maxMemoryUsedMb?: number;
  /**
   * Set when the runtime streamed its response: the body went to the invocation's sink as it arrived (payload is
   * then empty on success, the error JSON when the stream failed after its first byte).
   */
  streamed?: { contentType: string; bytes: number };
}

export interface InvocationExtras {
  clientContext?: unknown;
  cognitoIdentity?: unknown;
}

export function newInvocation(
  payload: Buffer,
  extras: InvocationExtras = {},
  now: number = Date.now(),
): Invocation {
  const invocation: Invocation = { requestId: randomUUID(), payload, traceId: newTraceId(now) };
  if (extras.clientContext !== undefined) invocation.clientContext = JSON.stringify(extras.clientContext);
  if (extras.cognitoIdentity !== undefined)
    invocation.cognitoIdentity = JSON.stringify(extras.cognitoIdentity);
  return invocation;
}

/** An X-Ray trace header as Lambda passes it: Root=1-{epoch seconds hex}-{24 hex};Parent=…;Sampled=0 */
export function newTraceId(now: number = Date.now()): string {
  const epoch = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

/** Lambda's limit for a synchronous invocation's request and response payloads. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Lambda's limit for a streamed response (Function URLs with RESPONSE_STREAM, InvokeWithResponseStream). */
export const MAX_STREAMED_BYTES = 200 * 1024 * 1024;

/** The error JSON Lambda and its Runtime API answer with: for failed invocations and refused requests alike. */
export function errorPayload(errorType: string, errorMessage: string): Buffer {
  return Buffer.from(JSON.stringify({ errorMessage, errorType }));
}

/** An outcome before its timing is known. */
export type Ending = Omit<InvocationOutcome, 'durationMs'>;

export function timeoutOutcome(requestId: string, timeoutMs: number): Ending {
  const seconds = (timeoutMs / 1000).toFixed(2);
  return {
    kind: 'function-error',
    requestId,
    errorType: 'Sandbox.Timedout',
    payload: errorPayload(
      'Sandbox.Timedout',
      `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
    ),
  };
}

/** How Lambda describes a runtime process that ended on its own. */
export function exitDescription(code: number | null, signal: string | null): string {
  if (signal) return `signal: ${signal === 'SIGKILL' ? 'killed' : signal}`;
  return `exit status ${code ?? 'unknown'}`;
}

export function exitOutcome(kind: 'function-error' | 'init-error', requestId: string, exit: string): Ending {
  return {
    kind,
    requestId,
    errorType: 'Runtime.ExitError',
    payload: errorPayload(
      'Runtime.ExitError',
      `RequestId: ${requestId} Error: Runtime exited with error: ${exit}`,
    ),
  };
}

export function responseTooLargeOutcome(requestId: string, bytes: number): Ending {
  return {
    kind: 'function-error',
    requestId,
    errorType: 'Function.ResponseSizeTooLarge',
    payload: errorPayload(
      'Function.ResponseSizeTooLarge',
      `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
    ),
  };
}

export function streamTooLargeOutcome(requestId: string, bytes: number): Ending {
  return {
    kind: 'function-error',
    requestId,
    errorType: 'Function.ResponseSizeTooLarge',
    payload: errorPayload(
      'Function.ResponseSizeTooLarge',
      `Streamed response size (more than ${bytes} bytes) exceeded maximum allowed streamed payload size (${MAX_STREAMED_BYTES} bytes).`,
    ),
  };
}

export interface ReportFigures {
  requestId: string;
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb?: number;
  initDurationMs?: number;
  status?: string;
}

/** Lambda's REPORT log line, tab separated as in CloudWatch. */
export function reportLine(figures: ReportFigures): string {
  const parts = [
    `REPORT RequestId: ${figures.requestId}`,
    `Duration: ${figures.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${Math.max(1, Math.ceil(figures.durationMs))} ms`,
    `Memory Size: ${figures.memorySizeMb} MB`,
  ];
  if (figures.maxMemoryUsedMb !== undefined) parts.push(`Max Memory Used: ${figures.maxMemoryUsedMb} MB`);
  if (figures.initDurationMs !== undefined)
    parts.push(`Init Duration: ${figures.initDurationMs.toFixed(2)} ms`);
  if (figures.status) parts.push(`Status: ${figures.status}`);
  return parts.join('\t');
}

/** A platform event as Lambda logs it when the function's log format is JSON (time, type, record). */
export function platformRecord(type: string, record: object, now: Date = new Date()): string {
  return JSON.stringify({ time: now.toISOString(), type, record });
}

/** The record of a platform.report event: the REPORT line's figures in Lambda's JSON names. */
export function reportRecord(figures: ReportFigures): object {
  const metrics: Record<string, number> = {
    durationMs: Number(figures.durationMs.toFixed(2)),
    billedDurationMs: Math.max(1, Math.ceil(figures.durationMs)),
    memorySizeMB: figures.memorySizeMb,
  };
  if (figures.maxMemoryUsedMb !== undefined) metrics.maxMemoryUsedMB = figures.maxMemoryUsedMb;
  if (figures.initDurationMs !== undefined)
    metrics.initDurationMs = Number(figures.initDurationMs.toFixed(2));
  return { requestId: figures.requestId, metrics, status: figures.status ?? 'success' };
}
