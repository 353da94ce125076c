/**
 * The emulated Runtime API over real HTTP on 127.0.0.1, driven the way a runtime drives it:
 * headers of GET /next, and the status codes Lambda answers with (202, 400, 403, 404, 405, 413, 500);
 * streamed responses (chunked, errors in trailers) and concurrent workers (Managed Instances), posted the way a
 * runtime posts them (node:http, which writes chunked bodies and trailers as the runtime's R client does).
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import { MAX_PAYLOAD_BYTES, newInvocation } from '../../src/runtime/invocation.js';
import { RuntimeApiServer } from '../../src/runtime/runtime-api-server.js';
import type { RuntimeApiListener } from '../../src/runtime/runtime-api-server.js';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f';

function recorder(): RuntimeApiListener & { events: string[]; streams: Map<string, Buffer[]> } {
  const events: string[] = [];
  const streams = new Map<string, Buffer[]>();
  return {
    events,
    streams,
    onStreamStart: (id, contentType) => {
      events.push(`stream ${id} ${contentType}`);
      const chunks: Buffer[] = [];
      streams.set(id, chunks);
      return new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      });
    },
    onStreamEnd: (id, end) =>
      events.push(
        `stream-end ${id} ${end.kind} ${end.bytes}` +
          (end.kind === 'function-error' ? ` ${end.errorType} ${end.payload.toString()}` : ''),
      ),
    onNextRequested: () => events.push('next'),
    onDelivered: (inv) => events.push(`delivered ${inv.requestId}`),
    onResponse: (id, payload) => events.push(`response ${id} ${payload.toString()}`),
    onFunctionError: (id, type, payload) => events.push(`error ${id} ${type} ${payload.toString()}`),
    onResponseTooLarge: (id, bytes) => events.push(`too-large ${id} ${bytes}`),
    onInitError: (type, payload) => events.push(`init-error ${type} ${payload.toString()}`),
  };
}

describe('the emulated Runtime API', () => {
  let server: RuntimeApiServer;
  let listener: ReturnType<typeof recorder>;
  let base: string;

  beforeEach(async () => {
    listener = recorder();
    server = new RuntimeApiServer({ functionArn: ARN, timeoutMs: 3000 }, listener);
    base = `http://${await server.listen()}/2018-06-01/runtime`;
  });
  afterEach(() => server.close());

  const post = (
    path: string,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<Response> => fetch(base + path, { method: 'POST', body, headers });

  test('GET /next waits for an event and carries the invocation headers', async () => {
    const invocation = newInvocation(Buffer.from('{"a":1}'), {
      clientContext: { c: 1 },
      cognitoIdentity: { i: 2 },
    });
    const next = fetch(`${base}/invocation/next`);
    for (let waited = 0; waited < 5000 && listener.events.length === 0; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(listener.events).toEqual(['next']);
    const before = Date.now();
    server.enqueue(invocation);
    const res = await next;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"a":1}');
    expect(res.headers.get('lambda-runtime-aws-request-id')).toBe(invocation.requestId);
    expect(res.headers.get('lambda-runtime-invoked-function-arn')).toBe(ARN);
    expect(res.headers.get('lambda-runtime-trace-id')).toBe(invocation.traceId);
    expect(res.headers.get('lambda-runtime-client-context')).toBe('{"c":1}');
    expect(res.headers.get('lambda-runtime-cognito-identity')).toBe('{"i":2}');
    const deadline = Number(res.headers.get('lambda-runtime-deadline-ms'));
    expect(deadline).toBeGreaterThanOrEqual(before + 3000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 3000);
    expect(listener.events).toEqual(['next', `delivered ${invocation.requestId}`]);
  });

  test("a deadline set at invoke (a warm runtime's clock) is the one GET /next carries", async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    invocation.deadlineMs = Date.now() + 1234;
    server.enqueue(invocation);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const res = await fetch(`${base}/invocation/next`);
    expect(res.headers.get('lambda-runtime-deadline-ms')).toBe(String(invocation.deadlineMs));
    await res.text();
  });

  test('a response is accepted once (202), then the id is stale (403)', async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    server.enqueue(invocation);
    await fetch(`${base}/invocation/next`);
    const ok = await post(`/invocation/${invocation.requestId}/response`, '"done"');
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ status: 'OK' });
    const again = await post(`/invocation/${invocation.requestId}/response`, '"again"');
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ errorType: 'InvalidRequestID' });
    expect(listener.events.at(-1)).toBe(`response ${invocation.requestId} "done"`);
  });

  test('an unknown request id is 403 and a malformed one 400', async () => {
    server.enqueue(newInvocation(Buffer.from('{}')));
    await fetch(`${base}/invocation/next`);
    expect((await post('/invocation/00000000-0000-0000-0000-000000000000/response', '1')).status).toBe(403);
    expect((await post('/invocation/bad%20id!/response', '1')).status).toBe(400);
  });

  test('an error post carries its type header (202)', async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    server.enqueue(invocation);
    await fetch(`${base}/invocation/next`);
    const body = '{"errorMessage":"x","errorType":"simpleError","stackTrace":[]}';
    const res = await post(`/invocation/${invocation.requestId}/error`, body, {
      'Lambda-Runtime-Function-Error-Type': 'simpleError',
    });
    expect(res.status).toBe(202);
    expect(listener.events.at(-1)).toBe(`error ${invocation.requestId} simpleError ${body}`);
  });

  test('a response over 6 MB is 413', async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    server.enqueue(invocation);
    await fetch(`${base}/invocation/next`);
    const res = await post(
      `/invocation/${invocation.requestId}/response`,
      Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20),
    );
    expect(res.status).toBe(413);
    expect(listener.events.at(-1)).toBe(`too-large ${invocation.requestId} ${MAX_PAYLOAD_BYTES + 1}`);
  });

  test('init/error is accepted during init (202); afterwards the runtime gets 500', async () => {
    const res = await post('/init/error', '{"errorType":"Runtime.NoSuchHandler"}', {
      'Lambda-Runtime-Function-Error-Type': 'Runtime.NoSuchHandler',
    });
    expect(res.status).toBe(202);
    expect(listener.events).toEqual([
      'init-error Runtime.NoSuchHandler {"errorType":"Runtime.NoSuchHandler"}',
    ]);
    expect((await fetch(`${base}/invocation/next`)).status).toBe(500);
    expect((await post('/init/error', '{}')).status).toBe(500);
  });

  test('init/error after init is over is 403', async () => {
    server.enqueue(newInvocation(Buffer.from('{}')));
    await fetch(`${base}/invocation/next`);
    expect((await post('/init/error', '{}')).status).toBe(403);
  });

  test('GET /next while an invocation has no answer is 403', async () => {
    server.enqueue(newInvocation(Buffer.from('{}')));
    await fetch(`${base}/invocation/next`);
    expect((await fetch(`${base}/invocation/next`)).status).toBe(403);
  });

  test('unknown paths are 404 and wrong methods 405', async () => {
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await post('/invocation/next', '')).status).toBe(405);
    expect((await fetch(`${base}/init/error`)).status).toBe(405);
  });

  test('after abandon() (timeout, crash) a late answer is 403', async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    server.enqueue(invocation);
    await fetch(`${base}/invocation/next`);
    server.abandon(invocation.requestId);
    expect((await post(`/invocation/${invocation.requestId}/response`, '1')).status).toBe(403);
  });

  /** POSTs a chunked body in pieces, with trailers after the last piece, as a streaming runtime does. */
  function postChunked(
    path: string,
    pieces: Buffer[],
    headers: Record<string, string>,
    trailers?: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(base + path, { method: 'POST', headers }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (const piece of pieces) req.write(piece);
      if (trailers) req.addTrailers(trailers);
      req.end();
    });
  }

  const STREAMING = {
    'Lambda-Runtime-Function-Response-Mode': 'streaming',
    'Transfer-Encoding': 'chunked',
    'Content-Type': 'text/plain',
    Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
  };

  test('a streamed response goes to the sink piece by piece and is answered 202 at its end', async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    server.enqueue(invocation);
    await (await fetch(`${base}/invocation/next`)).text();
    const pieces = [Buffer.from('one,'), Buffer.alloc(100_000, 0x61), Buffer.from(',three')];
    const res = await postChunked(`/invocation/${invocation.requestId}/response`, pieces, STREAMING);
    expect(res.status).toBe(202);
    expect(Buffer.concat(listener.streams.get(invocation.requestId) ?? [])).toEqual(Buffer.concat(pieces));
    expect(listener.events.slice(-2)).toEqual([
      `stream ${invocation.requestId} text/plain`,
      `stream-end ${invocation.requestId} complete 100010`,
    ]);
  });

  test('an error after the first byte arrives in the trailers, its body base64', async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    server.enqueue(invocation);
    await (await fetch(`${base}/invocation/next`)).text();
    const error = '{"errorMessage":"boom","errorType":"simpleError"}';
    const res = await postChunked(
      `/invocation/${invocation.requestId}/response`,
      [Buffer.alloc(1024 * 1024, 0x62)],
      STREAMING,
      {
        'Lambda-Runtime-Function-Error-Type': 'simpleError',
        'Lambda-Runtime-Function-Error-Body': Buffer.from(error).toString('base64'),
      },
    );
    expect(res.status).toBe(202);
    expect(listener.events.at(-1)).toBe(
      `stream-end ${invocation.requestId} function-error ${1024 * 1024} simpleError ${error}`,
    );
  });

  test('a response mode other than "streaming" is 400; a stream for an unknown id 403', async () => {
    const invocation = newInvocation(Buffer.from('{}'));
    server.enqueue(invocation);
    await (await fetch(`${base}/invocation/next`)).text();
    const path = `/invocation/${invocation.requestId}/response`;
    expect((await post(path, '1', { 'Lambda-Runtime-Function-Response-Mode': 'buffered' })).status).toBe(400);
    const unknown = await postChunked(
      '/invocation/11111111-2222-3333-4444-555555555555/response',
      [Buffer.from('x')],
      STREAMING,
    );
    expect(unknown.status).toBe(403);
  });
});

describe('the emulated Runtime API with AWS_LAMBDA_MAX_CONCURRENCY = 3', () => {
  let server: RuntimeApiServer;
  let listener: ReturnType<typeof recorder>;
  let base: string;

  beforeEach(async () => {
    listener = recorder();
    server = new RuntimeApiServer({ functionArn: ARN, timeoutMs: 3000, maxConcurrency: 3 }, listener);
    base = `http://${await server.listen()}/2018-06-01/runtime`;
  });
  afterEach(() => server.close());

  test('three workers park on /next, a fourth is refused; answers are matched by request id', async () => {
    const workers = [0, 1, 2].map(() => fetch(`${base}/invocation/next`));
    for (let waited = 0; waited < 5000 && listener.events.length < 3; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const fourth = await fetch(`${base}/invocation/next`);
    expect(fourth.status).toBe(403);
    expect(await fourth.json()).toMatchObject({ errorType: 'InvalidStateTransition' });
    const invocations = [0, 1, 2].map((i) => newInvocation(Buffer.from(`{"i":${i}}`)));
    for (const invocation of invocations) server.enqueue(invocation);
    const delivered = await Promise.all(workers);
    const ids = delivered.map((res) => res.headers.get('lambda-runtime-aws-request-id'));
    expect(new Set(ids)).toEqual(new Set(invocations.map((invocation) => invocation.requestId)));
    // Answered in reverse order: each answer goes to its own invocation.
    for (const invocation of [...invocations].reverse()) {
      const res = await fetch(`${base}/invocation/${invocation.requestId}/response`, {
        method: 'POST',
        body: invocation.payload,
      });
      expect(res.status).toBe(202);
    }
    expect(listener.events.filter((event) => event.startsWith('response '))).toEqual(
      [...invocations]
        .reverse()
        .map((invocation) => `response ${invocation.requestId} ${invocation.payload.toString()}`),
    );
  });
});
