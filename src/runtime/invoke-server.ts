/**
 * What `serve` listens on, on 127.0.0.1:
 * - the invoke endpoint of AWS's runtime interface emulator, POST /2015-03-31/functions/{name}/invocations,
 *   answered as Lambda's Invoke API does (200 with the payload; X-Amz-Function-Error: Unhandled when the function
 *   failed). A streamed response is passed on as it arrives (chunked, Lambda-Runtime-Function-Response-Mode:
 *   streaming); a failure after its first byte comes in the trailers X-Amz-Function-Error,
 *   Lambda-Runtime-Function-Error-Type and Lambda-Runtime-Function-Error-Body (base64), as the runtime sent them.
 * - every other request, as a Function URL with InvokeMode RESPONSE_STREAM (function-url.ts).
 */
import http from 'node:http';
import { MAX_PAYLOAD_BYTES, type InvocationOutcome } from './invocation.js';
import type { StreamSink } from './lambda-emulator.js';
import {
  bufferedHttpResponse,
  FUNCTION_URL_ERROR,
  forwarding,
  functionUrlEvent,
  preludeHeaders,
  streamSink,
  type HttpPrelude,
} from './function-url.js';
import { closeServer, listenOnLoopback, readBody, sendJson } from './runtime-api-server.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/[^/]+\/invocations$/;

export type Invoker = (
  payload: Buffer,
  clientContext: unknown,
  sink: StreamSink,
) => Promise<InvocationOutcome>;

export function isInvokePath(method: string, url: string): boolean {
  return method === 'POST' && INVOKE_PATH.test(url.split('?')[0] ?? '');
}

/** X-Amz-Client-Context is base64 JSON, as the AWS SDKs send it. */
export function decodeClientContext(header: string | undefined): unknown {
  if (!header) return undefined;
  try {
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

export interface InvokeServerIo {
  /** Where a Function URL request's failure is described (the function's log). */
  log: NodeJS.WritableStream;
}

export async function startInvokeServer(
  port: number,
  invoke: Invoker,
  io: InvokeServerIo = { log: process.stderr },
): Promise<{ url: string; functionUrl: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (isInvokePath(req.method ?? '', req.url ?? '')) answerInvoke(req, res, invoke);
    else answerFunctionUrl(req, res, invoke, io);
  });
  const actual = await listenOnLoopback(server, port);
  return {
    url: `http://127.0.0.1:${actual}/2015-03-31/functions/function/invocations`,
    functionUrl: `http://127.0.0.1:${actual}/`,
    close: () => closeServer(server),
  };
}

const STREAM_TRAILERS = [
  'X-Amz-Function-Error',
  'Lambda-Runtime-Function-Error-Type',
  'Lambda-Runtime-Function-Error-Body',
];

function answerInvoke(req: http.IncomingMessage, res: http.ServerResponse, invoke: Invoker): void {
  readBody(req, MAX_PAYLOAD_BYTES, (body) => {
    if (!body) {
      sendJson(res, 413, {
        Type: 'User',
        message: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      });
      return;
    }
    const payload = body.length ? body : Buffer.from('{}');
    if (!isJson(payload)) {
      sendJson(res, 400, {
        Type: 'User',
        message: 'Could not parse request body into json: the payload must be a JSON document',
      });
      return;
    }
    const clientContext = decodeClientContext(req.headers['x-amz-client-context'] as string | undefined);
    const sink: StreamSink = (contentType) => {
      res.writeHead(200, {
        'Content-Type': contentType,
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        Trailer: STREAM_TRAILERS.join(', '),
      });
      return forwarding(res);
    };
    invoke(payload, clientContext, sink).then(
      (outcome) => {
        if (!outcome.streamed) {
          const failed: Record<string, string> =
            outcome.kind === 'success' ? {} : { 'X-Amz-Function-Error': 'Unhandled' };
          sendJson(res, 200, outcome.payload, failed);
          return;
        }
        if (outcome.kind !== 'success') {
          res.addTrailers({
            'X-Amz-Function-Error': 'Unhandled',
            'Lambda-Runtime-Function-Error-Type': outcome.errorType ?? 'Unhandled',
            'Lambda-Runtime-Function-Error-Body': outcome.payload.toString('base64'),
          });
        }
        res.end();
      },
      (error: unknown) => sendJson(res, 500, { Type: 'Service', message: String(error) }),
    );
  });
}

/**
 * A Function URL request: the event in payload format 2.0; the answer streamed as it arrives. A failure before the
 * first byte is a 502, as Function URLs answer; after it the response is cut off (the client sees an incomplete
 * body), and the error goes to the log.
 */
function answerFunctionUrl(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  invoke: Invoker,
  io: InvokeServerIo,
): void {
  readBody(req, MAX_PAYLOAD_BYTES, (body) => {
    if (!body) {
      res
        .writeHead(413, { 'Content-Type': 'application/json' })
        .end('{"Message":"Request Entity Too Large"}');
      return;
    }
    const event = Buffer.from(JSON.stringify(functionUrlEvent(req, body)));
    const sink: StreamSink = (contentType) =>
      streamSink(contentType, res, {
        onPrelude: (prelude: HttpPrelude) => res.writeHead(prelude.statusCode, preludeHeaders(prelude)),
        onPlain: (type) => res.writeHead(200, { 'Content-Type': type }),
        onError: (error) => {
          io.log.write(`serve: ${req.method} ${req.url}: ${error.message}\n`);
          if (!res.headersSent) res.writeHead(FUNCTION_URL_ERROR.status).end(FUNCTION_URL_ERROR.body);
          else res.destroy();
        },
      });
    invoke(event, undefined, sink).then(
      (outcome) => {
        if (res.writableEnded || res.destroyed) return;
        if (outcome.kind !== 'success') {
          if (res.headersSent) res.destroy();
          else
            res
              .writeHead(FUNCTION_URL_ERROR.status, { 'Content-Type': 'application/json' })
              .end(FUNCTION_URL_ERROR.body);
          return;
        }
        if (outcome.streamed) {
          // A stream that ended before its prelude was complete: nothing could be sent.
          if (!res.headersSent) res.writeHead(FUNCTION_URL_ERROR.status).end(FUNCTION_URL_ERROR.body);
          else res.end();
          return;
        }
        let answer: ReturnType<typeof bufferedHttpResponse>;
        try {
          answer = bufferedHttpResponse(outcome.payload);
        } catch (error) {
          io.log.write(`serve: ${req.method} ${req.url}: ${(error as Error).message}\n`);
          res
            .writeHead(FUNCTION_URL_ERROR.status, { 'Content-Type': 'application/json' })
            .end(FUNCTION_URL_ERROR.body);
          return;
        }
        res.writeHead(answer.prelude.statusCode, preludeHeaders(answer.prelude)).end(answer.body);
      },
      (error: unknown) => {
        io.log.write(`serve: ${req.method} ${req.url}: ${String(error)}\n`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      },
    );
  });
}

function isJson(payload: Buffer): boolean {
  try {
    JSON.parse(payload.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
