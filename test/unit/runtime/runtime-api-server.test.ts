import { routeRuntimeRequest } from '../../../src/runtime/runtime-api-server.js';

const P = '/2018-06-01/runtime';

describe('routeRuntimeRequest', () => {
  test.each([
    ['GET', `${P}/invocation/next`, { kind: 'next' }],
    ['POST', `${P}/invocation/abc-123/response`, { kind: 'response', requestId: 'abc-123' }],
    ['POST', `${P}/invocation/abc-123/error`, { kind: 'error', requestId: 'abc-123' }],
    ['POST', `${P}/init/error`, { kind: 'init-error' }],
    ['POST', `${P}/invocation/next`, { kind: 'method-not-allowed', allowed: 'GET' }],
    ['GET', `${P}/init/error`, { kind: 'method-not-allowed', allowed: 'POST' }],
    ['GET', `${P}/invocation/abc/response`, { kind: 'method-not-allowed', allowed: 'POST' }],
    ['GET', '/2018-06-01/other', { kind: 'not-found' }],
    ['GET', `${P}/invocation/abc/unknown`, { kind: 'not-found' }],
    ['GET', `${P}/invocation/next?x=1`, { kind: 'next' }],
  ])('%s %s', (method, url, route) => {
    expect(routeRuntimeRequest(method, url)).toEqual(route);
  });

  test('a malformed request id is a bad request', () => {
    expect(routeRuntimeRequest('POST', `${P}/invocation//response`)).toMatchObject({ kind: 'bad-request' });
    expect(routeRuntimeRequest('POST', `${P}/invocation/a%20b/error`)).toMatchObject({ kind: 'bad-request' });
  });
});
