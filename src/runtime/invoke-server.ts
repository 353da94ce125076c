/**
 * The invoke endpoint of AWS's runtime interface emulator, for `serve`:
 * POST /2015-03-31/functions/{name}/invocations on 127.0.0.1, answered as Lambda's Invoke API does
 * (200 with the payload; X-Amz-Function-Error: Unhandled when the function failed).
 */
import http from 'node:http';
import { MAX_PAYLOAD_BYTES, type InvocationOutcome } from './invocation.js';
import { closeServer, listenOnLoopback, readBody, sendJson } from './runtime-api-server.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/[^/]+\/invocations$/;

export type Invoker = (payload: Buffer, clientContext?: unknown) => Promise<InvocationOutcome>;

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

export async function startInvokeServer(
  port: number,
  invoke: Invoker,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (!isInvokePath(req.method ?? '', req.url ?? '')) {
      req.resume();
      sendJson(res, 404, {
        Type: 'User',
        message: `Use POST /2015-03-31/functions/function/invocations, not ${req.method} ${req.url}`,
      });
      return;
    }
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
      invoke(payload, clientContext).then(
        (outcome) =>
          sendJson(
            res,
            200,
            outcome.payload,
            outcome.kind === 'success' ? {} : { 'X-Amz-Function-Error': 'Unhandled' },
          ),
        (error: unknown) => sendJson(res, 500, { Type: 'Service', message: String(error) }),
      );
    });
  });
  const actual = await listenOnLoopback(server, port);
  return {
    url: `http://127.0.0.1:${actual}/2015-03-31/functions/function/invocations`,
    close: () => closeServer(server),
  };
}

function isJson(payload: Buffer): boolean {
  try {
    JSON.parse(payload.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
