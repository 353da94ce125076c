/**
 * The emulator's side of Lambda's newer Runtime API, over real HTTP on 127.0.0.1, with a stand-in runtime
 * (test/support/stand-in-runtime.mjs) in place of R: streamed responses (100 MB through a sink, an error after 1 MB
 * in the trailers, an HTTP-integration prelude), concurrent invocations (Managed Instances), JSON platform logs, and
 * `serve` answering streams on the Invoke API and as a Function URL.
 */
import http from 'node:http';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { LambdaEmulator } from '../../src/runtime/lambda-emulator.js';
import type { FunctionConfig } from '../../src/runtime/lambda-environment.js';
import { startInvokeServer } from '../../src/runtime/invoke-server.js';

const STAND_IN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../support/stand-in-runtime.mjs',
);

function config(overrides: Partial<FunctionConfig> = {}): FunctionConfig {
  return {
    bootstrap: STAND_IN,
    taskRoot: mkdtempSync(path.join(tmpdir(), 'stand-in-')),
    handler: 'x.handler',
    functionName: 'stand-in',
    memoryMb: 128,
    timeoutMs: 30_000,
    initTimeoutMs: 10_000,
    region: 'us-east-1',
    extraEnv: {},
    ...overrides,
  };
}

const event = (value: object): Buffer => Buffer.from(JSON.stringify(value));

/** A sink that checks every byte against the stand-in's pattern (byte i is i % 251) and keeps none. */
function patternChecker(): { sink: Writable; bytes(): number; wrong(): number } {
  let at = 0;
  let wrong = -1;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (let i = 0; i < chunk.length; i++) if (wrong < 0 && chunk[i] !== (at + i) % 251) wrong = at + i;
      at += chunk.length;
      // Slower than the runtime: the emulator must hold the runtime back, not buffer.
      setImmediate(done);
    },
  });
  return { sink, bytes: () => at, wrong: () => wrong };
}

describe('streamed responses through the emulator', () => {
  let emulator: LambdaEmulator;
  const log = new PassThrough();
  let logText = '';
  log.on('data', (chunk: Buffer) => (logText += chunk.toString()));

  beforeAll(async () => {
    emulator = await LambdaEmulator.start(config(), { log });
  });
  afterAll(() => emulator.close());

  test('100 MB arrive whole and in order, as they are sent', async () => {
    const checker = patternChecker();
    const bytes = 100 * 1024 * 1024;
    let contentType = '';
    const outcome = await emulator.invoke(
      event({ action: 'stream', bytes, type: 'text/csv' }),
      {},
      (type) => {
        contentType = type;
        return checker.sink;
      },
    );
    expect(outcome).toMatchObject({ kind: 'success', streamed: { contentType: 'text/csv', bytes } });
    expect(contentType).toBe('text/csv');
    expect(checker.bytes()).toBe(bytes);
    expect(checker.wrong()).toBe(-1);
  }, 120_000);

  test('an error after 1 MB arrives from the trailers', async () => {
    const checker = patternChecker();
    const outcome = await emulator.invoke(
      event({ action: 'stream-error', bytes: 1024 * 1024 }),
      {},
      () => checker.sink,
    );
    expect(outcome).toMatchObject({
      kind: 'function-error',
      errorType: 'StreamError',
      streamed: { bytes: 1024 * 1024 },
    });
    expect(JSON.parse(outcome.payload.toString())).toEqual({
      errorMessage: 'failed mid-stream',
      errorType: 'StreamError',
    });
    expect(checker.bytes()).toBe(1024 * 1024);
  });

  test('without a sink a stream is collected, up to 6 MB as AWS’s emulator buffers', async () => {
    const small = await emulator.invoke(event({ action: 'stream', bytes: 1000 }));
    expect(small).toMatchObject({ kind: 'success', streamed: { bytes: 1000 } });
    expect(small.payload.length).toBe(1000);
    const big = await emulator.invoke(event({ action: 'stream', bytes: 7 * 1024 * 1024 }));
    expect(big).toMatchObject({ kind: 'function-error', errorType: 'Function.ResponseSizeTooLarge' });
  });
});

describe('concurrent invocations (Managed Instances)', () => {
  test('40 invocations of 200 ms with --max-concurrency 4 take about a quarter of the time; JSON platform logs', async () => {
    const log = new PassThrough();
    let logText = '';
    log.on('data', (chunk: Buffer) => (logText += chunk.toString()));
    const emulator = await LambdaEmulator.start(config({ maxConcurrency: 4 }), { log });
    try {
      await emulator.warm();
      const started = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, () => emulator.invoke(event({ action: 'sleep', ms: 200 }))),
      );
      const elapsed = performance.now() - started;
      expect(outcomes.every((outcome) => outcome.kind === 'success')).toBe(true);
      // Each answer is its own invocation's.
      for (const outcome of outcomes)
        expect(JSON.parse(outcome.payload.toString()).id).toBe(outcome.requestId);
      expect(elapsed).toBeGreaterThan(10 * 200 - 50);
      expect(elapsed).toBeLessThan(40 * 200 * 0.45);
      const records = logText
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; record: { requestId: string; status?: string } });
      expect(records.filter((r) => r.type === 'platform.start')).toHaveLength(40);
      const reports = records.filter((r) => r.type === 'platform.report');
      expect(new Set(reports.map((r) => r.record.requestId))).toEqual(
        new Set(outcomes.map((o) => o.requestId)),
      );
      expect(reports.every((r) => r.record.status === 'success')).toBe(true);
    } finally {
      await emulator.close();
    }
  }, 60_000);

  test('a runtime that dies fails the invocations in flight; the next one starts it again', async () => {
    const emulator = await LambdaEmulator.start(config({ maxConcurrency: 2 }), { log: new PassThrough() });
    try {
      const sleeping = emulator.invoke(event({ action: 'sleep', ms: 2000 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const dying = await emulator.invoke(event({ action: 'exit' }));
      expect(dying).toMatchObject({ kind: 'function-error', errorType: 'Runtime.ExitError' });
      expect(await sleeping).toMatchObject({ kind: 'function-error', errorType: 'Runtime.ExitError' });
      expect(await emulator.invoke(event({ action: 'echo' }))).toMatchObject({ kind: 'success' });
    } finally {
      await emulator.close();
    }
  }, 30_000);
});

/** A raw HTTP exchange: status, headers, body and trailers, and whether the body was complete. */
function exchange(
  url: string,
  method: string,
  body?: string,
): Promise<{
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  trailers: NodeJS.Dict<string>;
  complete: boolean;
}> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const done = (): void =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          trailers: res.trailers,
          complete: res.complete,
        });
      res.on('end', done);
      res.on('aborted', done);
      res.on('error', done);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('serve', () => {
  let emulator: LambdaEmulator;
  let server: Awaited<ReturnType<typeof startInvokeServer>>;
  const log = new PassThrough();
  log.resume();

  beforeAll(async () => {
    emulator = await LambdaEmulator.start(config({ maxConcurrency: 2 }), { log });
    server = await startInvokeServer(
      0,
      (payload, clientContext, sink) => emulator.invoke(payload, {}, sink),
      { log },
    );
  });
  afterAll(async () => {
    await server.close();
    await emulator.close();
  });

  test('the Invoke API passes a stream on, with an error after its first byte in the trailers', async () => {
    const ok = await exchange(
      server.url,
      'POST',
      JSON.stringify({ action: 'stream', bytes: 300_000, type: 'text/plain' }),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers['lambda-runtime-function-response-mode']).toBe('streaming');
    expect(ok.headers['content-type']).toBe('text/plain');
    expect(ok.body.length).toBe(300_000);
    expect(ok.trailers).toEqual({});
    const failed = await exchange(
      server.url,
      'POST',
      JSON.stringify({ action: 'stream-error', bytes: 1024 * 1024 }),
    );
    expect(failed.body.length).toBe(1024 * 1024);
    expect(failed.trailers['x-amz-function-error']).toBe('Unhandled');
    expect(failed.trailers['lambda-runtime-function-error-type']).toBe('StreamError');
    expect(
      JSON.parse(
        Buffer.from(failed.trailers['lambda-runtime-function-error-body'] ?? '', 'base64').toString(),
      ),
    ).toMatchObject({
      errorType: 'StreamError',
    });
  });

  test('a Function URL answers an HTTP-integration stream with its prelude’s status, headers and cookies', async () => {
    const res = await exchange(
      server.functionUrl + 'some/path?q=1',
      'POST',
      JSON.stringify({ action: 'http', status: 201, body: 'hello\u0000world' }),
    );
    expect(res.status).toBe(201);
    expect(res.headers['x-test']).toBe('yes');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.body.toString()).toBe('hello\u0000world');
  });

  test('a Function URL: a plain stream is 200 with its content type; a buffered answer is read as Function URLs do', async () => {
    const plain = await exchange(
      server.functionUrl,
      'POST',
      JSON.stringify({ action: 'stream', bytes: 5000, type: 'text/csv' }),
    );
    expect(plain).toMatchObject({ status: 200, complete: true });
    expect(plain.headers['content-type']).toBe('text/csv');
    expect(plain.body.length).toBe(5000);
    const buffered = await exchange(server.functionUrl, 'POST', JSON.stringify({ action: 'echo' }));
    expect(buffered.status).toBe(200);
    expect(JSON.parse(buffered.body.toString())).toMatchObject({ version: '2.0', rawPath: '/' });
  });

  test('a Function URL cuts the response off when the stream fails after its first byte', async () => {
    const res = await exchange(
      server.functionUrl,
      'POST',
      JSON.stringify({ action: 'stream-error', bytes: 1024 * 1024 }),
    );
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
  });
});
