/**
 * The Runtime API a runtime talks to inside Lambda (version 2018-06-01), served on 127.0.0.1: long-polled
 * GET /invocation/next, the response and error posts, and /init/error, with Lambda's headers and
 * status codes. One invocation at a time, as in a Lambda execution environment, or up to maxConcurrency at once,
 * as on Lambda Managed Instances (that many parked GET /next calls; answers matched by request id). A response
 * may be streamed (Lambda-Runtime-Function-Response-Mode: streaming, chunked, an error after the first byte in the
 * trailers). A request is first routed (routeRuntimeRequest, pure); what an answer means for the invocation is
 * reported to a listener (lambda-emulator.ts decides the rest). Also the JSON reply and body reading that
 * invoke-server.ts shares.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { errorPayload, MAX_PAYLOAD_BYTES, MAX_STREAMED_BYTES, type Invocation } from './invocation.js';

const RUNTIME_API_PREFIX = '/2018-06-01/runtime';

/** Response headers of GET /invocation/next, spelled as Lambda sends them. */
const INVOCATION_HEADERS = {
  requestId: 'Lambda-Runtime-Aws-Request-Id',
  deadlineMs: 'Lambda-Runtime-Deadline-Ms',
  functionArn: 'Lambda-Runtime-Invoked-Function-Arn',
  traceId: 'Lambda-Runtime-Trace-Id',
  clientContext: 'Lambda-Runtime-Client-Context',
  cognitoIdentity: 'Lambda-Runtime-Cognito-Identity',
} as const;

/** Request header a runtime sets on /invocation/{id}/error and /init/error; also a trailer of a streamed response. */
const FUNCTION_ERROR_TYPE_HEADER = 'lambda-runtime-function-error-type';
/** Trailer of a streamed response that failed after its first byte: the error JSON, base64. */
const FUNCTION_ERROR_BODY_TRAILER = 'lambda-runtime-function-error-body';
/** Request header of a streamed /response; "streaming" is the only value Lambda accepts. */
const RESPONSE_MODE_HEADER = 'lambda-runtime-function-response-mode';
export const STREAMING_MODE = 'streaming';

type RuntimeRoute =
  | { kind: 'next' }
  | { kind: 'response'; requestId: string }
  | { kind: 'error'; requestId: string }
  | { kind: 'init-error' }
  | { kind: 'bad-request'; message: string }
  | { kind: 'method-not-allowed'; allowed: string }
  | { kind: 'not-found' };

const INVOCATION_PATH = /^\/invocation\/([^/]*)\/(response|error)$/;
/** Request ids are UUIDs here; anything else in that position is a malformed request. */
const REQUEST_ID = /^[A-Za-z0-9-]{1,128}$/;

export function routeRuntimeRequest(method: string, url: string): RuntimeRoute {
  const path = url.split('?')[0] ?? '';
  if (!path.startsWith(RUNTIME_API_PREFIX + '/')) return { kind: 'not-found' };
  const rest = path.slice(RUNTIME_API_PREFIX.length);
  if (rest === '/invocation/next') {
    return method === 'GET' ? { kind: 'next' } : { kind: 'method-not-allowed', allowed: 'GET' };
  }
  if (rest === '/init/error') {
    return method === 'POST' ? { kind: 'init-error' } : { kind: 'method-not-allowed', allowed: 'POST' };
  }
  const match = INVOCATION_PATH.exec(rest);
  if (!match) return { kind: 'not-found' };
  if (method !== 'POST') return { kind: 'method-not-allowed', allowed: 'POST' };
  const requestId = match[1] ?? '';
  if (!REQUEST_ID.test(requestId)) {
    return { kind: 'bad-request', message: `Malformed request id '${requestId}' in ${path}` };
  }
  return match[2] === 'response' ? { kind: 'response', requestId } : { kind: 'error', requestId };
}

export interface RuntimeApiListener {
  /** The runtime asked for an event: on the first call of a process, its init is over. */
  onNextRequested(): void;
  onDelivered(invocation: Invocation, deadlineMs: number): void;
  onResponse(requestId: string, payload: Buffer): void;
  onFunctionError(requestId: string, errorType: string, payload: Buffer): void;
  onResponseTooLarge(requestId: string, bytes: number): void;
  onInitError(errorType: string, payload: Buffer): void;
  /**
   * A streamed response began: where its body goes (piped, with backpressure), or undefined when nobody waits for
   * this invocation any more (the body is then drained and the runtime answered 403).
   */
  onStreamStart(requestId: string, contentType: string): Writable | undefined;
  /** The streamed body ended: whole, or with the error the runtime put in the trailers, or cut off. */
  onStreamEnd(requestId: string, end: StreamEnd): void;
}

export type StreamEnd =
  | { kind: 'complete'; bytes: number }
  | { kind: 'function-error'; bytes: number; errorType: string; payload: Buffer }
  | { kind: 'too-large'; bytes: number }
  | { kind: 'broken'; bytes: number };

type Phase = 'init' | 'running' | 'init-failed';

export interface RuntimeApiOptions {
  functionArn: string;
  timeoutMs: number;
  /** How many invocations may run at once (AWS_LAMBDA_MAX_CONCURRENCY); 1 unless on Managed Instances. */
  maxConcurrency?: number;
}

export class RuntimeApiServer {
  private readonly server: http.Server;
  private readonly maxConcurrency: number;
  private phase: Phase = 'init';
  /** Parked GET /next calls, oldest first: each is one idle worker of the runtime. */
  private waiting: http.ServerResponse[] = [];
  private queued: Invocation[] = [];
  /** Delivered invocations with no answer yet, by request id. */
  private readonly current = new Map<string, Invocation>();

  constructor(
    private readonly options: RuntimeApiOptions,
    private readonly listener: RuntimeApiListener,
  ) {
    this.maxConcurrency = options.maxConcurrency ?? 1;
    this.server = http.createServer((req, res) => this.handle(req, res));
    // A long-polled GET /next may wait for hours; nothing here should time it out.
    this.server.requestTimeout = 0;
    this.server.keepAliveTimeout = 60_000;
  }

  /** Listens on a random port of 127.0.0.1 and returns host:port for AWS_LAMBDA_RUNTIME_API. */
  async listen(): Promise<string> {
    return `127.0.0.1:${await listenOnLoopback(this.server, 0)}`;
  }

  /** A new runtime process starts: forget everything about the previous one. */
  reset(): void {
    this.phase = 'init';
    this.waiting = [];
    this.queued = [];
    this.current.clear();
  }

  /** Hands the invocation to the runtime now if a worker waits on /next, else at the next call. */
  enqueue(invocation: Invocation): void {
    this.queued.push(invocation);
    const res = this.waiting.shift();
    if (res) this.deliver(res);
  }

  /** The invocation ended without the runtime's answer (timeout, crash): late answers get 403. */
  abandon(requestId: string): void {
    this.queued = this.queued.filter((invocation) => invocation.requestId !== requestId);
    this.current.delete(requestId);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const route = routeRuntimeRequest(req.method ?? '', req.url ?? '');
    switch (route.kind) {
      case 'next':
        req.resume();
        this.next(res);
        return;
      case 'response': {
        const mode = headerValue(req, RESPONSE_MODE_HEADER);
        if (mode === STREAMING_MODE) {
          this.stream(route.requestId, req, res);
          return;
        }
        if (mode) {
          req.resume();
          sendError(
            res,
            400,
            'InvalidRequest',
            `Lambda-Runtime-Function-Response-Mode must be "streaming", not "${mode}".`,
          );
          return;
        }
        readBody(req, MAX_PAYLOAD_BYTES, (body, bytes) => this.post(route, req, res, body, bytes));
        return;
      }
      case 'error':
      case 'init-error':
        readBody(req, MAX_PAYLOAD_BYTES, (body, bytes) => this.post(route, req, res, body, bytes));
        return;
      case 'bad-request':
        req.resume();
        sendError(res, 400, 'InvalidRequest', route.message);
        return;
      case 'method-not-allowed':
        req.resume();
        res.setHeader('Allow', route.allowed);
        sendError(res, 405, 'MethodNotAllowed', `Use ${route.allowed} for ${req.url}`);
        return;
      case 'not-found':
        req.resume();
        sendError(res, 404, 'NotFound', `No such Runtime API path: ${req.url}`);
        return;
    }
  }

  private next(res: http.ServerResponse): void {
    if (this.phase === 'init-failed') {
      sendError(res, 500, 'Runtime.InitError', 'Init failed; the runtime must exit.');
      return;
    }
    if (this.current.size + this.waiting.length >= this.maxConcurrency) {
      const message =
        this.maxConcurrency === 1
          ? 'GET /next while an invocation has no answer yet.'
          : `GET /next with ${this.maxConcurrency} (AWS_LAMBDA_MAX_CONCURRENCY) invocations running or workers waiting already.`;
      sendError(res, 403, 'InvalidStateTransition', message);
      return;
    }
    this.phase = 'running';
    this.listener.onNextRequested();
    if (this.queued.length) this.deliver(res);
    else {
      this.waiting.push(res);
      res.on('close', () => {
        this.waiting = this.waiting.filter((parked) => parked !== res);
      });
    }
  }

  private deliver(res: http.ServerResponse): void {
    const invocation = this.queued.shift();
    if (!invocation) return;
    this.current.set(invocation.requestId, invocation);
    const deadlineMs = invocation.deadlineMs ?? Date.now() + this.options.timeoutMs;
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': invocation.payload.length,
      [INVOCATION_HEADERS.requestId]: invocation.requestId,
      [INVOCATION_HEADERS.deadlineMs]: String(deadlineMs),
      [INVOCATION_HEADERS.functionArn]: this.options.functionArn,
      [INVOCATION_HEADERS.traceId]: invocation.traceId,
    };
    if (invocation.clientContext) headers[INVOCATION_HEADERS.clientContext] = invocation.clientContext;
    if (invocation.cognitoIdentity) headers[INVOCATION_HEADERS.cognitoIdentity] = invocation.cognitoIdentity;
    res.writeHead(200, headers);
    res.end(invocation.payload);
    this.listener.onDelivered(invocation, deadlineMs);
  }

  /**
   * A streamed /response: the body goes to the listener's sink as it arrives (never held here), up to Lambda's
   * 200 MB; the runtime is answered 202 once it has all arrived, the trailers read.
   */
  private stream(requestId: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const refused = this.refusal(requestId);
    if (refused) {
      req.resume();
      refused(res);
      return;
    }
    this.current.delete(requestId);
    const contentType = headerValue(req, 'content-type') ?? 'application/octet-stream';
    const sink = this.listener.onStreamStart(requestId, contentType);
    if (!sink) {
      req.resume();
      sendError(res, 403, 'InvalidRequestID', `No invocation ${requestId} is waiting for an answer.`);
      return;
    }
    let bytes = 0;
    let ended = false;
    const end = (outcome: StreamEnd): void => {
      if (ended) return;
      ended = true;
      req.unpipe(sink);
      this.listener.onStreamEnd(requestId, outcome);
    };
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_STREAMED_BYTES && !ended) {
        end({ kind: 'too-large', bytes });
        req.resume();
      }
    });
    req.pipe(sink, { end: false });
    req.on('end', () => {
      if (ended) {
        sendError(
          res,
          413,
          'RequestEntityTooLarge',
          `Exceeded maximum allowed streamed payload size (${MAX_STREAMED_BYTES} bytes).`,
        );
        return;
      }
      const errorType = req.trailers[FUNCTION_ERROR_TYPE_HEADER];
      if (errorType) {
        const body = req.trailers[FUNCTION_ERROR_BODY_TRAILER];
        const payload = body
          ? Buffer.from(body, 'base64')
          : errorPayload(errorType, 'The function failed while streaming its response.');
        end({ kind: 'function-error', bytes, errorType, payload });
      } else end({ kind: 'complete', bytes });
      sendJson(res, 202, { status: 'OK' });
    });
    req.on('close', () => {
      if (!req.complete) end({ kind: 'broken', bytes });
    });
  }

  /** Why an answer for requestId cannot be taken (as the answer to send), or undefined when it can. */
  private refusal(requestId: string): ((res: http.ServerResponse) => void) | undefined {
    if (this.phase === 'init-failed') {
      return (res) => sendError(res, 500, 'Runtime.InitError', 'Init failed; the runtime must exit.');
    }
    if (!this.current.has(requestId)) {
      return (res) =>
        sendError(res, 403, 'InvalidRequestID', `No invocation ${requestId} is waiting for an answer.`);
    }
    return undefined;
  }

  private post(
    route: { kind: 'response' | 'error'; requestId: string } | { kind: 'init-error' },
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer | undefined,
    bytes: number,
  ): void {
    if (this.phase === 'init-failed') {
      sendError(res, 500, 'Runtime.InitError', 'Init failed; the runtime must exit.');
      return;
    }
    const errorType = headerValue(req, FUNCTION_ERROR_TYPE_HEADER) ?? 'Unhandled';
    if (route.kind === 'init-error') {
      if (this.phase !== 'init') {
        sendError(res, 403, 'InvalidStateTransition', 'Init is over: report errors per invocation.');
        return;
      }
      this.phase = 'init-failed';
      sendJson(res, 202, { status: 'OK' });
      this.listener.onInitError(errorType, body ?? Buffer.alloc(0));
      return;
    }
    const refused = this.refusal(route.requestId);
    if (refused) {
      refused(res);
      return;
    }
    this.current.delete(route.requestId);
    if (!body) {
      sendError(
        res,
        413,
        'RequestEntityTooLarge',
        `Exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
      );
      this.listener.onResponseTooLarge(route.requestId, bytes);
      return;
    }
    sendJson(res, 202, { status: 'OK' });
    if (route.kind === 'response') this.listener.onResponse(route.requestId, body);
    else this.listener.onFunctionError(route.requestId, errorType, body);
  }
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Answers with the Runtime API's error JSON. */
function sendError(res: http.ServerResponse, status: number, errorType: string, message: string): void {
  sendJson(res, status, errorPayload(errorType, message));
}

/** Writes a JSON answer: an object is serialised, bytes (an error payload, a function's response) go as they are. */
export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: Buffer | object,
  headers: Record<string, string> = {},
): void {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': bytes.length });
  res.end(bytes);
}

/** Listens on 127.0.0.1 only (port 0: any free one) and resolves with the port. */
export async function listenOnLoopback(server: http.Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server now, long-polls and keep-alive connections included. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Reads a request body up to `limit` bytes; past it, drains the rest and passes undefined. */
export function readBody(
  req: http.IncomingMessage,
  limit: number,
  done: (body: Buffer | undefined, bytes: number) => void,
): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes <= limit) chunks.push(chunk);
  });
  req.on('end', () => done(bytes <= limit ? Buffer.concat(chunks) : undefined, bytes));
}
