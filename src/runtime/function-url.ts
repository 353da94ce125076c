/**
 * What a Lambda Function URL does around a function, for `serve`: the HTTP request becomes an event in payload format
 * 2.0, and the function's answer becomes the HTTP response. A streamed answer is passed on as it arrives, as with
 * InvokeMode RESPONSE_STREAM; with the content type application/vnd.awslambda.http-integration-response it starts
 * with a JSON prelude (statusCode, headers, cookies) and eight NUL bytes, which HttpIntegrationParser splits off.
 * A buffered answer is read as Function URLs read one ({statusCode, headers, cookies, body, isBase64Encoded}, or any
 * other JSON as the body).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { Transform, Writable, type TransformCallback } from 'node:stream';

export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
/** The prelude ends at eight NUL bytes (a JSON text holds none). */
const PRELUDE_DELIMITER = Buffer.alloc(8);
/** A prelude longer than this is a function's mistake (no delimiter), not headers. */
const MAX_PRELUDE_BYTES = 64 * 1024;

export interface HttpPrelude {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

/** Checks a prelude's JSON text: statusCode defaults to 200, headers to none, cookies to none. */
export function parsePrelude(text: string): HttpPrelude {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the HTTP response prelude is not JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('the HTTP response prelude must be a JSON object with statusCode, headers and cookies');
  }
  const record = value as Record<string, unknown>;
  const statusCode = record.statusCode ?? 200;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    throw new Error(
      `the HTTP response prelude's statusCode must be an HTTP status, not ${JSON.stringify(statusCode)}`,
    );
  }
  const headers: Record<string, string> = {};
  if (record.headers !== undefined && (typeof record.headers !== 'object' || record.headers === null)) {
    throw new Error("the HTTP response prelude's headers must be an object of names and values");
  }
  for (const [name, given] of Object.entries((record.headers ?? {}) as Record<string, unknown>)) {
    headers[name.toLowerCase()] = String(given);
  }
  const cookies = record.cookies ?? [];
  if (!Array.isArray(cookies) || cookies.some((cookie) => typeof cookie !== 'string')) {
    throw new Error("the HTTP response prelude's cookies must be an array of Set-Cookie values");
  }
  return { statusCode, headers, cookies: cookies as string[] };
}

/**
 * Splits an HTTP-integration stream: emits 'prelude' (HttpPrelude) once the delimiter has arrived, then passes the
 * body through. Only the prelude is held; a stream that ends before the delimiter is an error.
 */
export class HttpIntegrationParser extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.head) {
      done(null, chunk);
      return;
    }
    const head = Buffer.concat([this.head, chunk]);
    const at = head.indexOf(PRELUDE_DELIMITER);
    if (at < 0) {
      if (head.length > MAX_PRELUDE_BYTES) {
        done(
          new Error(
            `no end of the HTTP response prelude (eight NUL bytes) in its first ${MAX_PRELUDE_BYTES} bytes`,
          ),
        );
        return;
      }
      this.head = head;
      done();
      return;
    }
    this.head = undefined;
    try {
      this.emit('prelude', parsePrelude(head.subarray(0, at).toString('utf8')));
    } catch (error) {
      done(error as Error);
      return;
    }
    const rest = head.subarray(at + PRELUDE_DELIMITER.length);
    done(null, rest.length ? rest : undefined);
  }

  override _flush(done: TransformCallback): void {
    if (this.head)
      done(new Error('the streamed HTTP response ended before its prelude was complete (eight NUL bytes)'));
    else done();
  }
}

/** The Function URL event (payload format 2.0) for an HTTP request and its body. */
export function functionUrlEvent(req: http.IncomingMessage, body: Buffer, now: Date = new Date()): object {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'cookie' || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const cookies = (req.headers.cookie ?? '')
    .split(';')
    .map((cookie) => cookie.trim())
    .filter(Boolean);
  const domainName = req.headers.host ?? 'localhost';
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies.length) event.cookies = cookies;
  if (url.search) event.queryStringParameters = query;
  if (body.length) {
    const text = isTextual(req.headers['content-type']);
    event.body = text ? body.toString('utf8') : body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i.test(
    contentType,
  );
}

/** A buffered answer as a Function URL reads it. */
export function bufferedHttpResponse(payload: Buffer): { prelude: HttpPrelude; body: Buffer } {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (typeof value === 'object' && value !== null && 'statusCode' in value) {
    const record = value as Record<string, unknown>;
    const prelude = parsePrelude(
      JSON.stringify({ statusCode: record.statusCode, headers: record.headers, cookies: record.cookies }),
    );
    const text =
      typeof record.body === 'string'
        ? record.body
        : record.body === undefined
          ? ''
          : JSON.stringify(record.body);
    const body = record.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text);
    return { prelude, body };
  }
  return {
    prelude: { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [] },
    body: payload,
  };
}

/** Response headers for a prelude: its headers, and one Set-Cookie per cookie. */
export function preludeHeaders(prelude: HttpPrelude): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...prelude.headers };
  if (prelude.cookies.length) headers['set-cookie'] = prelude.cookies;
  return headers;
}

export const FUNCTION_URL_ERROR = { status: 502, body: '{"Message":"Internal Server Error"}' } as const;

/**
 * The sink for a streamed answer: an HTTP-integration stream is split by HttpIntegrationParser (`onPrelude` gets its
 * prelude, `body` the rest), any other goes to `body` as it is (`onPlain` first). A prelude the parser rejects goes
 * to `onError`, and the rest of the stream is drained, so the runtime is never left blocked.
 */
export function streamSink(
  contentType: string,
  body: NodeJS.WritableStream,
  handlers: {
    onPrelude(prelude: HttpPrelude): void;
    onPlain(contentType: string): void;
    onError(error: Error): void;
  },
): Writable {
  if (contentType.split(';')[0]?.trim().toLowerCase() !== HTTP_INTEGRATION_CONTENT_TYPE) {
    handlers.onPlain(contentType);
    return forwarding(body);
  }
  const parser = new HttpIntegrationParser();
  let failed = false;
  parser.on('prelude', (prelude: HttpPrelude) => handlers.onPrelude(prelude));
  parser.on('error', (error: Error) => {
    failed = true;
    handlers.onError(error);
  });
  parser.pipe(body, { end: false });
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (failed) done();
      else writeThrough(parser, chunk, done);
    },
    final(done) {
      if (failed) done();
      else parser.end(() => done());
    },
  });
}

/** A Writable that writes into `target` with its backpressure, and never ends it. */
export function forwarding(target: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeThrough(target, chunk, done);
    },
  });
}

/**
 * Writes a chunk and calls `done` when the target can take more; a target that went away (a client hung up) takes
 * everything, so the runtime's stream is drained rather than stalled.
 */
function writeThrough(target: NodeJS.WritableStream, chunk: Buffer, done: () => void): void {
  if ((target as Partial<Writable>).destroyed || target.write(chunk)) {
    done();
    return;
  }
  const resume = (): void => {
    target.removeListener('drain', resume);
    target.removeListener('close', resume);
    done();
  };
  target.on('drain', resume);
  target.on('close', resume);
}
