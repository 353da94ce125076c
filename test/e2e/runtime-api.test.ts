/**
 * The emulated Runtime API over real HTTP on 127.0.0.1, driven the way a runtime drives it:
 * headers of GET /next, and the status codes Lambda answers with (202, 400, 403, 404, 405, 413, 500).
 */
import { MAX_PAYLOAD_BYTES, newInvocation } from '../../src/runtime/invocation.js';
import { RuntimeApiServer } from '../../src/runtime/runtime-api-server.js';
import type { RuntimeApiListener } from '../../src/runtime/runtime-api-server.js';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f';

function recorder(): RuntimeApiListener & { events: string[] } {
  const events: string[] = [];
  return {
    events,
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
    server.abandon();
    expect((await post(`/invocation/${invocation.requestId}/response`, '1')).status).toBe(403);
  });
});
