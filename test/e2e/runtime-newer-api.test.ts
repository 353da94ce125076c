/**
 * Lambda's newer Runtime API in the R runtime, end to end: Debian's R and the real layer/bootstrap behind the
 * emulator. A 100 MB streamed response arrives whole and in order with R's peak memory far below it; an error after
 * 1 MB arrives as trailers; an HTTP response stream is answered by a Function URL (`serve`) from its prelude;
 * AWS_LAMBDA_MAX_CONCURRENCY = 4 serves 40 invocations of 200 ms in about a quarter of the time, with JSON log lines
 * carrying each invocation's own request id; a worker killed mid-invocation fails that invocation only, and is
 * replaced.
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import { startInvokeServer } from '../../src/runtime/invoke-server.js';
import {
  describeWithR,
  expectSuccess,
  startFunction,
  writeTaskRoot,
  type TestFunction,
} from './runtime-harness.js';

const HANDLER = `
handler <- function(event, context) {
  # Through a Function URL the event is the HTTP request; what to do is its body.
  if (identical(event$version, "2.0")) event <- jsonlite::fromJSON(event$body)
  switch(event$kind,
    big = stream_response(function(write) {
      piece <- as.raw(0:250)[(seq_len(event$piece) - 1L) %% 251L + 1L]
      for (i in seq_len(event$pieces)) write(piece)
    }, "application/octet-stream"),
    late = stream_response(function(write) {
      write(as.raw(rep(65L, 1048576L)))
      stop("failed after the first megabyte")
    }, "text/plain"),
    early = stream_response(function(write) stop("failed before any byte")),
    http = http_response_stream(function(write) {
      write("<h1>")
      write(event$title)
      write("</h1>")
    }, status_code = 201, headers = list("content-type" = "text/html", "x-from" = "R"), cookies = "session=abc"),
    sleep = {
      message("serving ", context$aws_request_id)
      Sys.sleep(0.2)
      list(pid = Sys.getpid(), id = context$aws_request_id)
    },
    die = {
      Sys.sleep(0.1)
      tools::pskill(Sys.getpid(), 9L)
    }
  )
}
`;

describeWithR('streamed responses from R', () => {
  let fn: TestFunction;
  beforeAll(async () => {
    fn = await startFunction(writeTaskRoot({ 'app.R': HANDLER }), 'app.handler');
  });
  afterAll(() => fn.close());

  test('100 MB arrive whole and in order; R never holds them', async () => {
    const piece = 1024 * 1024;
    let at = 0;
    let wrong = -1;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (let i = 0; i < chunk.length; i++)
          if (wrong < 0 && chunk[i] !== ((at + i) % piece) % 251) wrong = at + i;
        at += chunk.length;
        done();
      },
    });
    const outcome = await fn.emulator.invoke(
      Buffer.from(JSON.stringify({ kind: 'big', pieces: 100, piece })),
      {},
      () => sink,
    );
    expect(outcome).toMatchObject({
      kind: 'success',
      streamed: { bytes: 100 * piece, contentType: 'application/octet-stream' },
    });
    expect(at).toBe(100 * piece);
    expect(wrong).toBe(-1);
    // Peak resident memory of the R process (VmHWM), the whole run so far included.
    expect(outcome.maxMemoryUsedMb).toBeLessThan(100);
  }, 120_000);

  test('an error after 1 MB arrives in the trailers; one before the first byte as an ordinary error', async () => {
    const late = await fn.emulator.invoke(
      Buffer.from('{"kind":"late"}'),
      {},
      () => new Writable({ write: (_c, _e, done) => done() }),
    );
    expect(late).toMatchObject({
      kind: 'function-error',
      errorType: 'simpleError',
      streamed: { bytes: 1048576 },
    });
    expect(JSON.parse(late.payload.toString())).toMatchObject({
      errorMessage: 'failed after the first megabyte',
    });
    const early = await fn.invoke({ kind: 'early' });
    expect(early).toMatchObject({ kind: 'function-error', errorType: 'simpleError' });
    expect(early.streamed).toBeUndefined();
  });

  test('a Function URL answers an HTTP response stream from its prelude', async () => {
    const server = await startInvokeServer(
      0,
      (payload, _context, sink) => fn.emulator.invoke(payload, {}, sink),
      {
        log: process.stderr,
      },
    );
    try {
      const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
        (resolve, reject) => {
          const req = http.request(server.functionUrl + 'page', { method: 'POST' }, (r) => {
            let body = '';
            r.on('data', (chunk: Buffer) => (body += chunk.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
          });
          req.on('error', reject);
          req.end(JSON.stringify({ kind: 'http', title: 'streamed' }));
        },
      );
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toBe('text/html');
      expect(res.headers['x-from']).toBe('R');
      expect(res.headers['set-cookie']).toEqual(['session=abc']);
      expect(res.body).toBe('<h1>streamed</h1>');
    } finally {
      await server.close();
    }
  });
});

describeWithR('R workers on Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY = 4)', () => {
  let fn: TestFunction;
  beforeAll(async () => {
    fn = await startFunction(writeTaskRoot({ 'app.R': HANDLER }), 'app.handler', { maxConcurrency: 4 });
    await fn.emulator.warm();
  });
  afterAll(() => fn.close());

  test('40 invocations of 200 ms take about a quarter of the sequential 8 s; JSON logs carry each request id', async () => {
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => fn.invoke({ kind: 'sleep' })));
    const elapsed = performance.now() - started;
    const answers = outcomes.map((outcome) => expectSuccess(outcome, fn) as { pid: number; id: string });
    expect(answers.map((answer) => answer.id)).toEqual(outcomes.map((outcome) => outcome.requestId));
    expect(new Set(answers.map((answer) => answer.pid)).size).toBe(4);
    // REPORT's Max Memory Used counts the workers too: each is an R process of its own.
    const single = (await startFunction(fn.config.taskRoot, 'app.handler')).emulator;
    try {
      const one = await single.invoke(Buffer.from('{"kind":"sleep"}'));
      expect(outcomes[39]?.maxMemoryUsedMb ?? 0).toBeGreaterThan(3 * (one.maxMemoryUsedMb ?? Infinity));
    } finally {
      await single.close();
    }
    expect(elapsed).toBeLessThan(40 * 200 * 0.4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const records = fn
      .log()
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { level?: string; requestId?: string; message?: string; type?: string },
      );
    const served = records.filter((record) => record.message?.startsWith('serving '));
    expect(served).toHaveLength(40);
    for (const record of served) {
      expect(record.level).toBe('INFO');
      expect(record.message).toBe(`serving ${record.requestId}`);
    }
  }, 60_000);

  test('a worker killed mid-invocation fails that invocation only, and is replaced', async () => {
    const others = Array.from({ length: 3 }, () => fn.invoke({ kind: 'sleep' }));
    const dying = await fn.invoke({ kind: 'die' });
    expect(dying).toMatchObject({ kind: 'function-error', errorType: 'Runtime.ExitError' });
    for (const outcome of await Promise.all(others)) expectSuccess(outcome, fn);
    const after = await Promise.all(Array.from({ length: 8 }, () => fn.invoke({ kind: 'sleep' })));
    const pids = new Set(after.map((outcome) => (expectSuccess(outcome, fn) as { pid: number }).pid));
    expect(pids.size).toBe(4);
  }, 60_000);
});
