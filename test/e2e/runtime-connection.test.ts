/**
 * The R runtime's HTTP client: one keep-alive connection for all requests, and against a Runtime
 * API that does not keep connections open, one that
 * says Connection: close, and one that drops the socket silently after accepting each response. The
 * runtime must reconnect and keep serving events (Lambda's API keeps connections alive, but a frozen
 * and thawed environment can find its socket gone, by the time it asks for the next event).
 * A socket dropped between an event and its response POST is not covered: the POST may already be
 * on its way when the drop arrives, and the runtime never sends a POST twice (test/r/test-api.R).
 */
import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { localRuntimeLibrary } from '../../src/runtime/local-runtime.js';
import { BOOTSTRAP, RSCRIPT, describeWithR, writeTaskRoot } from './runtime-harness.js';

jest.setTimeout(60_000);

type Closing = 'keep-alive' | 'connection-close-header' | 'silent-drop';

/** A bare Runtime API that serves `events` and collects the responses. */
async function serveEvents(
  events: string[],
  closing: Closing,
): Promise<{ responses: string[]; connections: number }> {
  const responses: string[] = [];
  let connections = 0;
  let next = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> =
        closing === 'connection-close-header' ? { Connection: 'close' } : {};
      if (req.url?.endsWith('/invocation/next')) {
        const body = events[next] ?? '{}';
        next += 1;
        res.writeHead(200, {
          ...headers,
          'Lambda-Runtime-Aws-Request-Id': `id-${next}`,
          'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60_000),
          'Content-Length': Buffer.byteLength(body),
        });
        res.end(body);
      } else {
        responses.push(Buffer.concat(chunks).toString());
        res.writeHead(202, { ...headers, 'Content-Length': 2 });
        res.end('{}');
        if (responses.length === events.length) finish();
      }
      const answeredPost = !req.url?.endsWith('/invocation/next');
      if (closing === 'silent-drop' && answeredPost) res.on('finish', () => req.socket.destroy());
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const runtime = spawn(BOOTSTRAP, [], {
    env: {
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
      _HANDLER: 'echo.handler',
      LAMBDA_TASK_ROOT: writeTaskRoot({ 'echo.R': 'handler <- function(event) event\n' }),
      R_LAMBDA_RSCRIPT: RSCRIPT,
      // The runtime package built for this R (what the emulator hands it too).
      R_LIBS: await localRuntimeLibrary(RSCRIPT),
      PATH: '/usr/bin:/bin',
    },
    detached: true,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => runtime.once('close', resolve));
  try {
    await Promise.race([done, exited.then(() => Promise.reject(new Error('the runtime exited')))]);
  } finally {
    if (runtime.exitCode === null) process.kill(-(runtime.pid as number), 'SIGKILL');
    await exited;
    server.closeAllConnections();
    server.close();
  }
  return { responses, connections };
}

describeWithR('the runtime reconnects to the Runtime API', () => {
  const events = ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}'];

  test('keep-alive: one connection serves every request', async () => {
    const { responses, connections } = await serveEvents(events, 'keep-alive');
    expect(responses).toEqual(events);
    expect(connections).toBe(1);
  });

  test.each<Closing>(['connection-close-header', 'silent-drop'])('%s', async (closing) => {
    const { responses, connections } = await serveEvents(events, closing);
    expect(responses).toEqual(events);
    // Connection: close ends every exchange; the silent drop follows each response POST only.
    expect(connections).toBeGreaterThanOrEqual(
      closing === 'silent-drop' ? events.length : events.length * 2 - 1,
    );
  });
});
