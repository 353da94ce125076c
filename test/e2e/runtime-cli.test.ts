/**
 * `r-lambda-layer invoke` and `serve` through the real CLI (tsx src/cli.ts), with real R: exit
 * codes 0/1/2, clear messages for bad input, two calls to a served function, and the examples.
 */
import { jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, RSCRIPT, describeWithR, writeTaskRoot } from './runtime-harness.js';

jest.setTimeout(120_000);

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(REPO_ROOT, 'src', 'cli.ts');

function cli(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(TSX, [CLI, ...args], { cwd: REPO_ROOT, input, encoding: 'utf8', timeout: 90_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const TASK = writeTaskRoot({
  'app.R': `handler <- function(event, context) {
  if (isTRUE(event$fail)) stop("asked to fail")
  cat("printed by the handler\\n")
  list(got = event, fn = context$function_name, mem = context$memory_limit_in_mb, extra = Sys.getenv("EXTRA"))
}
`,
  'broken.R': 'handler <- function(event) {\n',
});

describeWithR('invoke', () => {
  test('prints the response and exits 0; logs go to stderr', () => {
    const run = cli(
      [
        'invoke',
        '--task-root',
        TASK,
        '--handler',
        'app.handler',
        '--event',
        '-',
        '--memory',
        '512',
        '--env',
        'EXTRA=yes',
        '--function-name',
        'my-fn',
        '--rscript',
        RSCRIPT,
      ],
      '{"x": [1]}',
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ got: { x: [1] }, fn: 'my-fn', mem: 512, extra: 'yes' });
    expect(run.stderr).toContain('printed by the handler');
    expect(run.stderr).toMatch(/REPORT RequestId: \S+\tDuration: /);
  });

  test('an event file, and {} without --event', () => {
    const file = path.join(REPO_ROOT, 'test', 'fixtures', 'events', 'direct.json');
    const withFile = cli(['invoke', '--task-root', TASK, '--handler', 'app.handler', '--event', file]);
    expect(JSON.parse(withFile.stdout).got).toMatchObject({ name: 'world', tags: ['a'] });
    const without = cli(['invoke', '--task-root', TASK, '--handler', 'app.handler']);
    expect(JSON.parse(without.stdout).got).toEqual({});
  });

  test('a function error prints the error JSON and exits 1', () => {
    const run = cli(
      ['invoke', '--task-root', TASK, '--handler', 'app.handler', '--event', '-'],
      '{"fail": true}',
    );
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ errorType: 'simpleError', errorMessage: 'asked to fail' });
    expect(run.stderr).toContain('error: the function failed (simpleError)');
  });

  test('a timeout exits 1', () => {
    const slow = writeTaskRoot({ 'slow.R': 'handler <- function(event) Sys.sleep(20)\n' });
    const run = cli(['invoke', '--task-root', slow, '--handler', 'slow.handler', '--timeout', '1']);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ errorType: 'Sandbox.Timedout' });
  });

  test('an init error exits 2', () => {
    const run = cli(['invoke', '--task-root', TASK, '--handler', 'broken.handler']);
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ errorType: 'Runtime.UserCodeSyntaxError' });
    expect(run.stderr).toContain('error: init failed (Runtime.UserCodeSyntaxError)');
  });

  test.each([
    [
      ['--task-root', '/no/such/dir', '--handler', 'app.handler'],
      /error: task-root \(--task-root\): \/no\/such\/dir is not a folder/,
    ],
    [
      ['--task-root', TASK, '--handler', 'app'],
      /error: handler \(--handler\): "app" is not file\.function; use file\.function/,
    ],
    [
      ['--task-root', TASK, '--handler', 'app.handler', '--event', '/no/such.json'],
      /error: event \(--event\): cannot read the event file \/no\/such\.json/,
    ],
    [
      ['--task-root', TASK, '--handler', 'app.handler', '--env', 'no-equals'],
      /error: env \(--env\): "no-equals" is not KEY=VALUE/,
    ],
    [
      ['--task-root', TASK, '--handler', 'app.handler', '--timeout', '0'],
      /error: timeout \(--timeout\): "0" is not a timeout Lambda allows; use a number of seconds/,
    ],
    [
      ['--task-root', TASK, '--handler', 'app.handler', '--opt', TASK],
      /error: opt \(--opt\): .* has no executable bootstrap; use the folder where/,
    ],
  ])('bad input is a clear error: %j', (args, message) => {
    const run = cli(['invoke', ...args]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack
    expect(run.stdout).toBe('');
  });

  test('an invalid JSON event is a clear error', () => {
    const run = cli(['invoke', '--task-root', TASK, '--handler', 'app.handler', '--event', '-'], '{"a":');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/The event in stdin is not valid JSON/);
  });
});

describeWithR('serve', () => {
  test('answers two POSTs from one warm R process, and reports function errors', async () => {
    const child = spawn(TSX, [CLI, 'serve', '--task-root', TASK, '--handler', 'app.handler', '--port', '0'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stderr}`)), 60_000);
        child.stderr.on('data', () => {
          const found = /listening on (http:\/\/127\.0\.0\.1:\d+\S+)/.exec(stderr)?.[1];
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        });
      });
      const first = await fetch(url, { method: 'POST', body: '{"n": 1}' });
      expect(first.status).toBe(200);
      expect(first.headers.get('x-amz-function-error')).toBeNull();
      expect(await first.json()).toMatchObject({ got: { n: 1 } });
      const second = await fetch(url, { method: 'POST', body: '{"fail": true}' });
      expect(second.status).toBe(200);
      expect(second.headers.get('x-amz-function-error')).toBe('Unhandled');
      expect(await second.json()).toMatchObject({ errorType: 'simpleError' });
      const bad = await fetch(url, { method: 'POST', body: 'not json' });
      expect(bad.status).toBe(400);
      expect(stderr.match(/Init Duration/g)).toHaveLength(1);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });
});

describeWithR('the examples', () => {
  const examples = path.join(REPO_ROOT, 'examples');

  test('hello (function mode)', () => {
    const run = cli(
      ['invoke', '--task-root', path.join(examples, 'hello'), '--handler', 'hello.handler', '--event', '-'],
      '{"name":"Lambda"}',
    );
    expect(run.status).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(body).toMatchObject({
      message: 'Hello, Lambda!',
      r_version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
    });
    expect(body.remaining_ms).toBeGreaterThan(0);
    expect(run.stderr).toContain('greeting Lambda');
  });

  test('api-gateway (HTTP API payload 2.0)', () => {
    const event = path.join(REPO_ROOT, 'test', 'fixtures', 'events', 'apigw-http-v2.json');
    const run = cli([
      'invoke',
      '--task-root',
      path.join(examples, 'api-gateway'),
      '--handler',
      'api.handler',
      '--event',
      event,
    ]);
    expect(run.status).toBe(0);
    const response = JSON.parse(run.stdout);
    expect(response).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    const fit = JSON.parse(response.body);
    expect(fit.n).toBe(3);
    expect(fit.slope).toBeCloseTo(8 / 3, 10);
    expect(fit.intercept).toBeCloseTo(-2, 10);

    const bad = cli(
      [
        'invoke',
        '--task-root',
        path.join(examples, 'api-gateway'),
        '--handler',
        'api.handler',
        '--event',
        '-',
      ],
      JSON.stringify({ requestContext: { http: { method: 'POST' } }, body: '{"x": [1]}' }),
    );
    expect(JSON.parse(bad.stdout)).toMatchObject({ statusCode: 400 });
  });

  test('script-mode test.r', () => {
    const run = cli(
      [
        'invoke',
        '--task-root',
        path.join(examples, 'script-mode'),
        '--handler',
        'test.handler',
        '--event',
        '-',
      ],
      '{"name":"guide"}',
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toBe('OK');
    expect(run.stderr).toContain('Hello, guide from R version');
  });
});

describeWithR('invoke with a streamed response and JSON logs', () => {
  const STREAMING = writeTaskRoot({
    'stream.R': `handler <- function(event, context) {
  message("an INFO line, dropped at WARN")
  warning("a WARN line")
  if (isTRUE(event$http)) {
    return(http_response_stream(function(write) { write("<b>"); write("hi</b>") }, 202, list("x-a" = "1")))
  }
  stream_response(function(write) {
    for (i in 1:3) write(sprintf("piece %d\\n", i))
    if (isTRUE(event$fail)) stop("failed mid-stream")
  }, "text/plain")
}
`,
  });
  const args = ['invoke', '--task-root', STREAMING, '--handler', 'stream.handler', '--rscript', RSCRIPT];

  test('prints the stream as it is, logs one JSON object per line at the level asked', () => {
    const run = cli([...args, '--log-format', 'json', '--log-level', 'warn']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('piece 1\npiece 2\npiece 3\n');
    const records = run.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type?: string; level?: string; message?: string });
    expect(records.filter((record) => record.level).map((record) => record.level)).toEqual(['WARN']);
    expect(records.map((record) => record.type).filter(Boolean)).toEqual([
      'platform.start',
      'platform.report',
    ]);
  });

  test('an error after the first byte: the bytes sent, the error on stderr, exit 1', () => {
    const run = cli([...args, '--event', '-'], '{"fail": true}');
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('piece 1\npiece 2\npiece 3\n');
    expect(run.stderr).toContain('the streamed response failed after 24 bytes');
    expect(run.stderr).toContain('"errorMessage":"failed mid-stream"');
  });

  test('an HTTP stream: the prelude on stderr, the body on stdout', () => {
    const run = cli([...args, '--event', '-'], '{"http": true}');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('<b>hi</b>');
    expect(run.stderr).toContain('invoke: HTTP 202 {"headers":{"x-a":"1"},"cookies":[]}');
  });

  test('a log level without the JSON format is refused, saying what to add', () => {
    const run = cli([...args, '--log-level', 'debug']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('use it together with --log-format JSON');
  });
});
