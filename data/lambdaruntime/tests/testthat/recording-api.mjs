// A Runtime API that records, for test-stream.R: answers every request 202 and appends what it got (request
// line, the headers a streaming POST sets, body length, its first bytes in base64, trailers) as one JSON line to
// LOG. node:http decodes the chunked body and reads the trailers as Lambda does.
// Usage: node recording-api.mjs LOG.jsonl; prints "PORT PID"; exits after 60 s in any case.
import { Buffer } from 'node:buffer';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { setTimeout } from 'node:timers';

const [logFile] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = {};
    for (const name of ['lambda-runtime-function-response-mode', 'transfer-encoding', 'content-type', 'trailer']) {
      if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    }
    appendFileSync(
      logFile,
      JSON.stringify({ request: `${req.method} ${req.url}`, headers, bytes: body.length, body: body.subarray(0, 4096).toString('base64'), trailers: req.trailers }) + '\n',
    );
    res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port} ${process.pid}\n`));
setTimeout(() => process.exit(0), 60_000).unref();
process.on('SIGTERM', () => process.exit(0));
