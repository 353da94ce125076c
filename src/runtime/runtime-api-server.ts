/**
 * The Runtime API a runtime talks to inside Lambda, served on 127.0.0.1: long-polled
 * GET /invocation/next, the response and error posts, and /init/error, with Lambda's headers and
 * status codes. One invocation at a time, as in a Lambda execution environment. What an answer
 * means for the invocation is reported to a listener (lambda-emulator.ts decides the rest).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Invocation } from './invocation.js';
import {
  FUNCTION_ERROR_TYPE_HEADER,
  INVOCATION_HEADERS,
  MAX_PAYLOAD_BYTES,
  apiErrorBody,
  routeRuntimeRequest,
} from './runtime-api-routes.js';

export interface RuntimeApiListener {
  /** The runtime asked for an event: on the first call of a process, its init is over. */
  onNextRequested(): void;
  onDelivered(invocation: Invocation, deadlineMs: number): void;
  onResponse(requestId: string, payload: Buffer): void;
  onFunctionError(requestId: string, errorType: string, payload: Buffer): void;
  onResponseTooLarge(requestId: string, bytes: number): void;
  onInitError(errorType: string, payload: Buffer): void;
}

type Phase = 'init' | 'running' | 'init-failed';

export interface RuntimeApiOptions {
  functionArn: string;
  timeoutMs: number;
}

export class RuntimeApiServer {
  private readonly server: http.Server;
  private phase: Phase = 'init';
  private waiting: http.ServerResponse | undefined;
  private queued: Invocation | undefined;
  private current: Invocation | undefined;

  constructor(
    private readonly options: RuntimeApiOptions,
    private readonly listener: RuntimeApiListener,
  ) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    // A long-polled GET /next may wait for hours; nothing here should time it out.
    this.server.requestTimeout = 0;
    this.server.keepAliveTimeout = 60_000;
  }

  /** Listens on a random port of 127.0.0.1 and returns host:port for AWS_LAMBDA_RUNTIME_API. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    return `127.0.0.1:${port}`;
  }

  /** A new runtime process starts: forget everything about the previous one. */
  reset(): void {
    this.phase = 'init';
    this.waiting = undefined;
    this.queued = undefined;
    this.current = undefined;
  }

  /** Hands the invocation to the runtime now if it is waiting on /next, else at its next call. */
  enqueue(invocation: Invocation): void {
    this.queued = invocation;
    if (this.waiting) {
      const res = this.waiting;
      this.waiting = undefined;
      this.deliver(res);
    }
  }

  /** The invocation ended without the runtime's answer (timeout, crash): late answers get 403. */
  abandon(): void {
    this.queued = undefined;
    this.current = undefined;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const route = routeRuntimeRequest(req.method ?? '', req.url ?? '');
    switch (route.kind) {
      case 'next':
        req.resume();
        this.next(res);
        return;
      case 'response':
      case 'error':
      case 'init-error':
        readBody(req, MAX_PAYLOAD_BYTES, (body, bytes) => this.post(route, req, res, body, bytes));
        return;
      case 'bad-request':
        req.resume();
        answer(res, 400, apiErrorBody('InvalidRequest', route.message));
        return;
      case 'method-not-allowed':
        req.resume();
        res.setHeader('Allow', route.allowed);
        answer(res, 405, apiErrorBody('MethodNotAllowed', `Use ${route.allowed} for ${req.url}`));
        return;
      case 'not-found':
        req.resume();
        answer(res, 404, apiErrorBody('NotFound', `No such Runtime API path: ${req.url}`));
        return;
    }
  }

  private next(res: http.ServerResponse): void {
    if (this.phase === 'init-failed') {
      answer(res, 500, apiErrorBody('Runtime.InitError', 'Init failed; the runtime must exit.'));
      return;
    }
    if (this.current || this.waiting) {
      answer(
        res,
        403,
        apiErrorBody('InvalidStateTransition', 'GET /next while an invocation has no answer yet.'),
      );
      return;
    }
    this.phase = 'running';
    this.listener.onNextRequested();
    if (this.queued) this.deliver(res);
    else {
      this.waiting = res;
      res.on('close', () => {
        if (this.waiting === res) this.waiting = undefined;
      });
    }
  }

  private deliver(res: http.ServerResponse): void {
    const invocation = this.queued;
    if (!invocation) return;
    this.queued = undefined;
    this.current = invocation;
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

  private post(
    route: { kind: 'response' | 'error'; requestId: string } | { kind: 'init-error' },
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer | undefined,
    bytes: number,
  ): void {
    if (this.phase === 'init-failed') {
      answer(res, 500, apiErrorBody('Runtime.InitError', 'Init failed; the runtime must exit.'));
      return;
    }
    const errorType = headerValue(req, FUNCTION_ERROR_TYPE_HEADER) ?? 'Unhandled';
    if (route.kind === 'init-error') {
      if (this.phase !== 'init') {
        answer(
          res,
          403,
          apiErrorBody('InvalidStateTransition', 'Init is over: report errors per invocation.'),
        );
        return;
      }
      this.phase = 'init-failed';
      answer(res, 202, JSON.stringify({ status: 'OK' }));
      this.listener.onInitError(errorType, body ?? Buffer.alloc(0));
      return;
    }
    if (!this.current || this.current.requestId !== route.requestId) {
      answer(
        res,
        403,
        apiErrorBody('InvalidRequestID', `No invocation ${route.requestId} is waiting for an answer.`),
      );
      return;
    }
    this.current = undefined;
    if (!body) {
      answer(
        res,
        413,
        apiErrorBody(
          'RequestEntityTooLarge',
          `Exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
        ),
      );
      this.listener.onResponseTooLarge(route.requestId, bytes);
      return;
    }
    answer(res, 202, JSON.stringify({ status: 'OK' }));
    if (route.kind === 'response') this.listener.onResponse(route.requestId, body);
    else this.listener.onFunctionError(route.requestId, errorType, body);
  }
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
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
