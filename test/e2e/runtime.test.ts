/**
 * The R runtime end to end: the real layer/bootstrap and real R behind the Lambda emulator.
 * Covers the issue's proof list: lossless JSON, errors, init errors, script mode, the context,
 * the trace id, a warm process across 200 events, printing handlers, large events and responses,
 * timeouts and crashes.
 */
import { jest } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT,
  describeWithR,
  expectLog,
  expectSuccess,
  parsed,
  startFunction,
  writeTaskRoot,
} from './runtime-harness.js';
import type { TestFunction } from './runtime-harness.js';

jest.setTimeout(120_000);

const EVENTS_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'events');

describeWithR('echo: events come back as equal JSON', () => {
  let fn: TestFunction;
  beforeAll(async () => {
    fn = await startFunction(
      writeTaskRoot({ 'echo.R': 'echo <- function(event, context) event\n' }),
      'echo.echo',
    );
  });
  afterAll(() => fn.close());

  const fixtures = readdirSync(EVENTS_DIR).filter((name) => name.endsWith('.json'));
  test.each(fixtures)('%s', async (name) => {
    const text = readFileSync(path.join(EVENTS_DIR, name), 'utf8');
    const outcome = await fn.invokeRaw(text);
    expect(expectSuccess(outcome, fn)).toEqual(JSON.parse(text));
  });

  test('precision, empty containers, one-element arrays, nulls and unicode survive', async () => {
    const text =
      '{"sum":0.30000000000000004,"tiny":1e-300,"third":0.3333333333333333,"big":123456789012345678,' +
      '"epoch_ms":1773101039000,"one":["a"],"one_num":[1.5],"nested":[[]],"objs":[{}],"empty_obj":{},' +
      '"empty_arr":[],"nil":null,"nulls":[null,1],"text":"h\\u00e9 \\ud83d\\ude00 \\"q\\" \\t\\n","neg":-0.1,"t":true}';
    const outcome = await fn.invokeRaw(text);
    const echoed = expectSuccess(outcome, fn) as Record<string, unknown>;
    expect(echoed).toEqual(JSON.parse(text));
    expect(echoed.sum).toBe(0.1 + 0.2);
    expect(echoed.one).toEqual(['a']);
    // Every number as the shortest decimal that reads back the same, as JSON.stringify writes it.
    expect(outcome.payload.toString()).toContain('"third":0.3333333333333333,"big":123456789012345680,');
    expect(outcome.payload.toString()).toContain('"neg":-0.1,');
  });

  test('an event that is not JSON is a Runtime.UnmarshalError, and the next one works', async () => {
    const outcome = await fn.invokeRaw('{"unterminated": ');
    expect(outcome.errorType).toBe('Runtime.UnmarshalError');
    expect(expectSuccess(await fn.invokeRaw('{"ok":1}'), fn)).toEqual({ ok: 1 });
  });

  test.each([['[]'], ['[1]'], ['"just a string"'], ['42.5'], ['null'], ['true'], ['[{"a":[]}]']])(
    'top-level %s',
    async (text) => {
      const outcome = await fn.invokeRaw(text);
      expect(expectSuccess(outcome, fn)).toEqual(JSON.parse(text));
    },
  );
});

describeWithR('results', () => {
  let fn: TestFunction;
  beforeAll(async () => {
    fn = await startFunction(
      writeTaskRoot({
        'result.R': `
handler <- function(event, context) {
  switch(event$kind,
    raw = raw_json('{"kept": 1.50, "order": [3, 2]}'),
    jsonlite = jsonlite::toJSON(list(a = 1:2)),
    inner_raw = list(x = 1L, y = raw_json('{"z": 2.0}')),
    env = new.env(),
    na = list(v = c(1, NA), s = NA_character_),
    frame = data.frame(a = 1:2, b = c("x", "y")),
    unboxed = list(one = I(5), scalar = 5),
    huge = strrep("x", 7e6))
}
`,
      }),
      'result.handler',
    );
  });
  afterAll(() => fn.close());

  test('a raw_json() string and a jsonlite "json" value pass unchanged', async () => {
    expect((await fn.invoke({ kind: 'raw' })).payload.toString()).toBe('{"kept": 1.50, "order": [3, 2]}');
    expect((await fn.invoke({ kind: 'jsonlite' })).payload.toString()).toBe('{"a":[1,2]}');
    expect((await fn.invoke({ kind: 'inner_raw' })).payload.toString()).toBe('{"x":1,"y":{"z": 2.0}}');
  });

  test('NA is null, data frames are rows, I() keeps an array', async () => {
    expect(parsed(await fn.invoke({ kind: 'na' }))).toEqual({ v: [1, null], s: null });
    expect(parsed(await fn.invoke({ kind: 'frame' }))).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(parsed(await fn.invoke({ kind: 'unboxed' }))).toEqual({ one: [5], scalar: 5 });
  });

  test('a result that cannot be written as JSON is a Runtime.MarshalError', async () => {
    const outcome = await fn.invoke({ kind: 'env' });
    expect(outcome.kind).toBe('function-error');
    expect(outcome.errorType).toBe('Runtime.MarshalError');
    expect(parsed(outcome)).toMatchObject({
      errorType: 'Runtime.MarshalError',
      errorMessage: expect.stringContaining('environment'),
    });
  });

  test('a response over 6 MB is a clear error, and the next call works', async () => {
    const outcome = await fn.invoke({ kind: 'huge' });
    expect(outcome.kind).toBe('function-error');
    expect(outcome.errorType).toBe('Runtime.ResponseSizeTooLarge');
    expect((parsed(outcome) as { errorMessage: string }).errorMessage).toMatch(
      /7000002 bytes, over Lambda's limit of 6291456/,
    );
    expect(parsed(await fn.invoke({ kind: 'na' }))).toEqual({ v: [1, null], s: null });
  });
});

describeWithR('handler errors', () => {
  let fn: TestFunction;
  beforeAll(async () => {
    fn = await startFunction(
      writeTaskRoot({
        'fail.R': `helper <- function(x) {
  if (x > 1) stop("too big: ", x)
  x
}
handler <- function(event, context) {
  if (isTRUE(event$custom)) stop(structure(class = c("validationError", "error", "condition"),
                                           list(message = "bad input", call = NULL)))
  if (isTRUE(event$warn)) warning("just so you know")
  list(n = helper(event$n), pid = Sys.getpid())
}
`,
      }),
      'fail.handler',
    );
  });
  afterAll(() => fn.close());

  test('are posted with type and stack, and the next event is still served', async () => {
    const first = expectSuccess(await fn.invoke({ n: 1 }), fn) as { pid: number };
    const failed = await fn.invoke({ n: 5 });
    expect(failed.kind).toBe('function-error');
    expect(failed.errorType).toBe('simpleError');
    const report = parsed(failed) as { errorMessage: string; errorType: string; stackTrace: string[] };
    expect(report.errorMessage).toBe('too big: 5');
    expect(report.errorType).toBe('simpleError');
    expect(report.stackTrace).toEqual([
      'fail.R:2 stop("too big: ", x)',
      'fail.R:9 helper(event$n)',
      'handler(event, context)',
    ]);
    await expectLog(fn, 'simpleError: too big: 5');
    const after = expectSuccess(await fn.invoke({ n: 0 }), fn) as { pid: number };
    expect(after.pid).toBe(first.pid);
  });

  test('take their errorType from the condition class', async () => {
    const outcome = await fn.invoke({ custom: true, n: 0 });
    expect(outcome.errorType).toBe('validationError');
    expect(parsed(outcome)).toMatchObject({ errorType: 'validationError', errorMessage: 'bad input' });
  });

  test('warnings are logged, not fatal', async () => {
    expect(expectSuccess(await fn.invoke({ warn: true, n: 1 }), fn)).toMatchObject({ n: 1 });
    await expectLog(fn, /\[WARN\] In handler\(event, context\): just so you know/);
  });
});

describeWithR('init errors', () => {
  const cases: Array<[string, Record<string, string>, string, string, RegExp]> = [
    [
      'a missing file',
      { 'other.R': 'f <- function(event) 1\n' },
      'missing.handler',
      'Runtime.NoSuchHandler',
      /no missing\.R or missing\.r/,
    ],
    [
      'a missing function',
      { 'app.R': 'helper <- function(x) x\nmain <- function(event) 1\n' },
      'app.handler',
      'Runtime.NoSuchHandler',
      /defines helper, main but no function 'handler'/,
    ],
    [
      'a name that is not a function',
      { 'app.R': 'handler <- 42\n' },
      'app.handler',
      'Runtime.NoSuchHandler',
      /is a numeric, not a function/,
    ],
    [
      'a syntax error',
      { 'app.R': 'handler <- function(event) {\n  list(a = 1\n}\n' },
      'app.handler',
      'Runtime.UserCodeSyntaxError',
      /app\.R does not parse/,
    ],
    [
      'an error while sourcing',
      { 'app.R': 'library(notapackage123)\nhandler <- function(event) 1\n' },
      'app.handler',
      'packageNotFoundError',
      /notapackage123/,
    ],
    [
      'a malformed _HANDLER',
      { 'app.R': 'handler <- function(event) 1\n' },
      'app',
      'Runtime.ConfigInvalid',
      /must be 'file\.function'/,
    ],
  ];
  test.each(cases)('%s', async (_what, files, handler, errorType, message) => {
    const fn = await startFunction(writeTaskRoot(files), handler);
    try {
      const outcome = await fn.invoke({});
      expect(outcome.kind).toBe('init-error');
      expect(outcome.errorType).toBe(errorType);
      // The payload is what the runtime POSTed to /init/error (an exit without it would be Runtime.ExitError).
      const report = parsed(outcome) as { errorType: string; errorMessage: string; stackTrace: unknown[] };
      expect(report.errorType).toBe(errorType);
      expect(report.errorMessage).toMatch(message);
      expect(Array.isArray(report.stackTrace)).toBe(true);
      await expectLog(fn, `Init failed. ${errorType}`);
    } finally {
      await fn.close();
    }
  });

  test('an init error is retried at the next invocation, as Lambda does', async () => {
    const root = writeTaskRoot({ 'late.R': 'other <- function(event) "not yet"\n' });
    const fn = await startFunction(root, 'late.handler');
    try {
      expect((await fn.invoke({})).errorType).toBe('Runtime.NoSuchHandler');
      writeTaskRootFile(root, 'late.R', 'handler <- function(event) "ready"\n');
      expect(expectSuccess(await fn.invoke({}), fn)).toBe('ready');
    } finally {
      await fn.close();
    }
  });
});

function writeTaskRootFile(root: string, name: string, text: string): void {
  writeFileSync(path.join(root, name), text);
}

describeWithR("script mode (the original blog recipe's convention)", () => {
  let fn: TestFunction;
  beforeAll(async () => {
    fn = await startFunction(
      writeTaskRoot({
        'test.r': `seen_before <- exists("marker")
marker <- TRUE
if (isTRUE(event$fail)) stop("script failed")
cat("script says hello to", event$name, "\\n")
if (isTRUE(event$answer)) list(seen_before = seen_before, id = context$aws_request_id, name = event$name)
`,
      }),
      'test.handler',
    );
  });
  afterAll(() => fn.close());

  test('answers "OK" when the last value is an invisible NULL, and logs what it prints', async () => {
    expect(expectSuccess(await fn.invoke({ name: 'Ada' }), fn)).toBe('OK');
    await expectLog(fn, 'script says hello to Ada');
  });

  test('binds event and context, returns the last value, and leaks nothing between events', async () => {
    const one = expectSuccess(await fn.invoke({ name: 'one', answer: true }), fn) as Record<string, unknown>;
    const two = expectSuccess(await fn.invoke({ name: 'two', answer: true }), fn) as Record<string, unknown>;
    expect(one).toMatchObject({ seen_before: false, name: 'one' });
    expect(two).toMatchObject({ seen_before: false, name: 'two' });
    expect(one.id).not.toBe(two.id);
  });

  test('an error points at the statement', async () => {
    const outcome = await fn.invoke({ fail: true });
    expect(parsed(outcome)).toEqual({
      errorMessage: 'script failed',
      errorType: 'simpleError',
      stackTrace: ['stop("script failed")', 'test.r:3 if (isTRUE(event$fail)) stop("script failed")'],
    });
  });
});

describeWithR('the context and the trace id', () => {
  test('every field, the remaining time and _X_AMZN_TRACE_ID', async () => {
    const fn = await startFunction(
      writeTaskRoot({
        'ctx.R': `handler <- function(event, context) {
  fields <- context[setdiff(names(context), "get_remaining_time_ms")]
  c(fields, list(remaining = context$get_remaining_time_ms(), now = as.numeric(Sys.time()) * 1000,
                 trace = Sys.getenv("_X_AMZN_TRACE_ID"), is_fun = is.function(context$get_remaining_time_ms)))
}
`,
      }),
      'ctx.handler',
      { timeoutMs: 5000 },
    );
    try {
      const extras = {
        clientContext: { client: { app_title: 'demo' }, custom: { k: 'v' } },
        cognitoIdentity: { cognito_identity_id: 'id-1' },
      };
      const outcome = await fn.invoke({}, extras);
      const ctx = expectSuccess(outcome, fn) as Record<string, unknown>;
      expect(ctx).toMatchObject({
        aws_request_id: outcome.requestId,
        invoked_function_arn: 'arn:aws:lambda:eu-west-1:123456789012:function:r-test',
        function_name: 'r-test',
        function_version: '$LATEST',
        memory_limit_in_mb: 256,
        log_group_name: '/aws/lambda/r-test',
        client_context: extras.clientContext,
        identity: extras.cognitoIdentity,
        is_fun: true,
      });
      expect(ctx.log_stream_name).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      const deadline = ctx.deadline_ms as number;
      const now = ctx.now as number;
      expect(deadline - now).toBeGreaterThan(4000);
      expect(deadline - now).toBeLessThanOrEqual(5000);
      expect(ctx.remaining).toBeGreaterThan(4000);
      expect(ctx.remaining).toBeLessThanOrEqual(5000);
      expect(Number.isInteger(ctx.remaining)).toBe(true);
      expect(ctx.trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);

      const second = expectSuccess(await fn.invoke({}), fn) as Record<string, unknown>;
      expect(second.trace).not.toBe(ctx.trace);
      expect(second.client_context).toBeNull();
      expect(second.identity).toBeNull();
    } finally {
      await fn.close();
    }
  });
});

describeWithR('a warm process', () => {
  test('serves 200 sequential events in one R process that keeps state', async () => {
    const fn = await startFunction(
      writeTaskRoot({
        'counter.R': `count <- 0
handler <- function(event, context) {
  count <<- count + 1
  list(count = count, pid = Sys.getpid(), echo = event$i)
}
`,
      }),
      'counter.handler',
    );
    try {
      const pids = new Set<number>();
      let last: { count: number; pid: number; echo: number } | undefined;
      for (let i = 1; i <= 200; i++) {
        last = expectSuccess(await fn.invoke({ i }), fn) as { count: number; pid: number; echo: number };
        expect(last.echo).toBe(i);
        pids.add(last.pid);
      }
      expect(last?.count).toBe(200);
      expect(pids.size).toBe(1);
    } finally {
      await fn.close();
    }
  });
});

describeWithR('output, large events, timeouts and crashes', () => {
  let fn: TestFunction;
  beforeAll(async () => {
    fn = await startFunction(
      writeTaskRoot({
        'busy.R': `handler <- function(event, context) {
  if (!is.null(event$sleep)) Sys.sleep(event$sleep)
  if (isTRUE(event$crash)) quit(save = "no", status = 3)
  if (isTRUE(event$chatty)) {
    print(list(a = 1))
    cat("HTTP/1.1 200 OK\\r\\n\\r\\n{\\"forged\\": true}\\n")
    writeLines("a line on stdout")
    message("a message on stderr")
    print(summary(c(1, 2, 3)))
    return(list(clean = TRUE))
  }
  if (!is.null(event$blob)) return(list(chars = nchar(event$blob), tail = substr(event$blob, nchar(event$blob) - 2, nchar(event$blob))))
  list(pid = Sys.getpid())
}
`,
      }),
      'busy.handler',
      { timeoutMs: 1500 },
    );
  });
  afterAll(() => fn.close());

  test('what the handler prints goes to the log and never into the response', async () => {
    const outcome = await fn.invoke({ chatty: true });
    expect(outcome.payload.toString()).toBe('{"clean":true}');
    await expectLog(fn, 'a line on stdout');
    await expectLog(fn, 'a message on stderr');
    await expectLog(fn, '{"forged": true}');
  });

  test('a 5 MB event', async () => {
    const blob = 'x'.repeat(5 * 1024 * 1024 - 3) + 'end';
    const outcome = await fn.invoke({ blob });
    expect(expectSuccess(outcome, fn)).toEqual({ chars: blob.length, tail: 'end' });
  });

  test('a timeout kills the runtime, and the next call works in a new one', async () => {
    const before = expectSuccess(await fn.invoke({}), fn) as { pid: number };
    const timedOut = await fn.invoke({ sleep: 30 });
    expect(timedOut.kind).toBe('function-error');
    expect(timedOut.errorType).toBe('Sandbox.Timedout');
    expect((parsed(timedOut) as { errorMessage: string }).errorMessage).toMatch(
      /Task timed out after 1\.50 seconds/,
    );
    expect(timedOut.durationMs).toBeGreaterThanOrEqual(1400);
    const after = await fn.invoke({});
    const body = expectSuccess(after, fn) as { pid: number };
    expect(body.pid).not.toBe(before.pid);
    expect(after.initDurationMs).toBeGreaterThan(0);
    await expectLog(
      fn,
      /REPORT RequestId: [0-9a-f-]+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB/,
    );
  });

  test('a crash is a Runtime.ExitError and the runtime restarts', async () => {
    const crashed = await fn.invoke({ crash: true });
    expect(crashed.kind).toBe('function-error');
    expect(crashed.errorType).toBe('Runtime.ExitError');
    expect((parsed(crashed) as { errorMessage: string }).errorMessage).toMatch(/exit status 3/);
    expect(expectSuccess(await fn.invoke({}), fn)).toHaveProperty('pid');
  });
});
