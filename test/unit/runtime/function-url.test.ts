import { PassThrough } from 'node:stream';
import type http from 'node:http';
import {
  bufferedHttpResponse,
  functionUrlEvent,
  HttpIntegrationParser,
  parsePrelude,
  preludeHeaders,
} from '../../../src/runtime/function-url.js';

async function parse(pieces: Buffer[]): Promise<{ prelude: unknown; body: Buffer }> {
  const parser = new HttpIntegrationParser();
  let prelude: unknown;
  parser.on('prelude', (p) => (prelude = p));
  const chunks: Buffer[] = [];
  parser.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  for (const piece of pieces) parser.write(piece);
  parser.end();
  await done;
  return { prelude, body: Buffer.concat(chunks) };
}

describe('the HTTP-integration prelude', () => {
  const NUL8 = Buffer.alloc(8);

  test('is split off at eight NUL bytes, whichever pieces they arrive in', async () => {
    const whole = Buffer.concat([
      Buffer.from('{"statusCode":201,"headers":{"Content-Type":"text/csv"},"cookies":["a=1"]}'),
      NUL8,
      Buffer.from('x,y\n1,2\n'),
    ]);
    for (const cut of [1, 10, whole.indexOf(NUL8) + 3, whole.length - 1]) {
      const { prelude, body } = await parse([whole.subarray(0, cut), whole.subarray(cut)]);
      expect(prelude).toEqual({ statusCode: 201, headers: { 'content-type': 'text/csv' }, cookies: ['a=1'] });
      expect(body.toString()).toBe('x,y\n1,2\n');
    }
  });

  test('defaults: status 200, no headers, no cookies; the body may hold NUL bytes', async () => {
    const { prelude, body } = await parse([Buffer.concat([Buffer.from('{}'), NUL8, NUL8])]);
    expect(prelude).toEqual({ statusCode: 200, headers: {}, cookies: [] });
    expect(body).toEqual(NUL8);
  });

  test('a stream without the delimiter, or a prelude that is not an object, is an error', async () => {
    await expect(parse([Buffer.from('{"statusCode":200}')])).rejects.toThrow(
      /before its prelude was complete/,
    );
    await expect(parse([Buffer.concat([Buffer.from('[1]'), NUL8])])).rejects.toThrow(/JSON object/);
    expect(() => parsePrelude('{"statusCode":"200"}')).toThrow(/statusCode/);
    expect(() => parsePrelude('{"cookies":"a=1"}')).toThrow(/cookies/);
  });

  test('cookies become Set-Cookie headers', () => {
    expect(preludeHeaders({ statusCode: 200, headers: { a: 'b' }, cookies: ['x=1', 'y=2'] })).toEqual({
      a: 'b',
      'set-cookie': ['x=1', 'y=2'],
    });
  });
});

describe('a Function URL', () => {
  test('turns a request into a payload format 2.0 event', () => {
    const req = Object.assign(new PassThrough(), {
      method: 'POST',
      url: '/a/b?x=1&x=2&y=3',
      httpVersion: '1.1',
      headers: {
        host: '127.0.0.1:9000',
        'content-type': 'application/json',
        cookie: 'k=v; m=n',
        'user-agent': 'ua',
      },
      socket: { remoteAddress: '127.0.0.1' },
    }) as unknown as http.IncomingMessage;
    const event = functionUrlEvent(req, Buffer.from('{"q":1}'), new Date(0)) as Record<string, unknown>;
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/a/b',
      rawQueryString: 'x=1&x=2&y=3',
      cookies: ['k=v', 'm=n'],
      queryStringParameters: { x: '1,2', y: '3' },
      headers: { host: '127.0.0.1:9000', 'content-type': 'application/json', 'user-agent': 'ua' },
      body: '{"q":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/a/b', sourceIp: '127.0.0.1' }, timeEpoch: 0 },
    });
    const binary = functionUrlEvent(
      Object.assign(req, { headers: { 'content-type': 'image/png' } }),
      Buffer.from([0, 1, 2]),
    ) as Record<string, unknown>;
    expect(binary).toMatchObject({ body: 'AAEC', isBase64Encoded: true });
  });

  test('reads a buffered answer as Function URLs do', () => {
    const structured = bufferedHttpResponse(
      Buffer.from(
        '{"statusCode":404,"headers":{"X-A":"1"},"cookies":["c=1"],"body":"aGk=","isBase64Encoded":true}',
      ),
    );
    expect(structured).toEqual({
      prelude: { statusCode: 404, headers: { 'x-a': '1' }, cookies: ['c=1'] },
      body: Buffer.from('hi'),
    });
    expect(bufferedHttpResponse(Buffer.from('{"a":1}'))).toEqual({
      prelude: { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [] },
      body: Buffer.from('{"a":1}'),
    });
  });
});
