// A scripted Runtime API for test-api.R, on 127.0.0.1 over raw TCP (so it can answer what no
// real HTTP server would). Usage: node runtime-api-stub.mjs SCRIPT.json LOG.jsonl
// SCRIPT is a list of steps, one per request in arrival order:
//   { "reply": "<raw bytes to send>", "after": "keep" | "close" }  answer, then keep or close the socket
//   { "hangUp": true }                                             close the socket without answering
// Prints "PORT PID" on stdout; appends each request received (connection number, request line,
// body) to LOG as one JSON line; exits after 60 s in any case.
import { Buffer } from 'node:buffer';
import { appendFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout } from 'node:timers';

const [scriptFile, logFile] = process.argv.slice(2);
const steps = JSON.parse(readFileSync(scriptFile, 'utf8'));
let next = 0;
let connections = 0;

const server = net.createServer((socket) => {
  const id = ++connections;
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      buffer = buffer.subarray(end + 4 + length);
      appendFileSync(logFile, JSON.stringify({ connection: id, request: head.split('\r\n')[0], body }) + '\n');
      const step = steps[next++] ?? { hangUp: true };
      if (step.hangUp) {
        socket.destroy();
        return;
      }
      socket.write(step.reply, 'latin1');
      if (step.after === 'close') socket.end();
    }
  });
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port} ${process.pid}\n`));
setTimeout(() => process.exit(0), 60_000).unref();
process.on('SIGTERM', () => process.exit(0));
