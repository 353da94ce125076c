#!/usr/bin/env node
// A stand-in runtime for the emulator's own protocol tests: speaks the Runtime API as a streaming, concurrent
// runtime must (AWS_LAMBDA_MAX_CONCURRENCY workers, each with its own GET /next; streamed responses chunked, an
// error after the first byte in trailers), so the emulator can be tested without R. The event says what to do:
// {"action":"echo"} | {"action":"sleep","ms":200} | {"action":"stream","bytes":N,"piece":65536,"type":"…"}
// {"action":"stream-error","bytes":N} | {"action":"http","status":201,"body":"…"} | {"action":"exit"}
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { setTimeout } from 'node:timers';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const base = '/2018-06-01/runtime';
const workers = Number(process.env.AWS_LAMBDA_MAX_CONCURRENCY || '1');

function request(method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: base + path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes `bytes` bytes in pieces of `piece`, a repeating pattern whose position is checkable (byte i is i % 251). */
async function stream(id, contentType, bytes, piece, trailers, prefix) {
  const req = http.request({
    host,
    port,
    method: 'POST',
    path: `${base}/invocation/${id}/response`,
    agent: false,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      'Content-Type': contentType,
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
  });
  const answered = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });
  if (prefix) req.write(prefix);
  for (let at = 0; at < bytes; at += piece) {
    const chunk = Buffer.alloc(Math.min(piece, bytes - at));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (at + i) % 251;
    if (!req.write(chunk)) await new Promise((resolve) => req.once('drain', resolve));
  }
  if (trailers) req.addTrailers(trailers);
  req.end();
  return answered;
}

async function serve(next) {
  const id = next.headers['lambda-runtime-aws-request-id'];
  const given = JSON.parse(next.body.toString());
  // Through a Function URL the action is the request's body.
  const event = given.version === '2.0' ? JSON.parse(given.body || '{}') : given;
  const piece = event.piece ?? 65536;
  switch (event.action) {
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      return request('POST', `/invocation/${id}/response`, {}, JSON.stringify({ id, pid: process.pid }));
    case 'stream':
      return stream(id, event.type ?? 'application/octet-stream', event.bytes, piece);
    case 'stream-error': {
      const error = JSON.stringify({ errorMessage: 'failed mid-stream', errorType: 'StreamError' });
      return stream(id, 'text/plain', event.bytes, piece, {
        'Lambda-Runtime-Function-Error-Type': 'StreamError',
        'Lambda-Runtime-Function-Error-Body': Buffer.from(error).toString('base64'),
      });
    }
    case 'http': {
      const prelude = JSON.stringify({
        statusCode: event.status,
        headers: { 'X-Test': 'yes' },
        cookies: ['a=1', 'b=2'],
      });
      const prefix = Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from(event.body)]);
      return stream(id, 'application/vnd.awslambda.http-integration-response', 0, piece, undefined, prefix);
    }
    case 'exit':
      return process.exit(3);
    default:
      return request('POST', `/invocation/${id}/response`, {}, next.body);
  }
}

async function worker() {
  for (;;) await serve(await request('GET', '/invocation/next'));
}

for (let i = 0; i < workers; i++) void worker();
