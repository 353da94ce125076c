/**
 * The Lambda Runtime API's paths (version 2018-06-01), its headers and limits, and the routing of a
 * request to what it asks for. Pure: the server in runtime-api-server.ts acts on the route.
 */

export const RUNTIME_API_PREFIX = '/2018-06-01/runtime';

/** Lambda's limit for a synchronous invocation's request and response payloads. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Response headers of GET /invocation/next, spelled as Lambda sends them. */
export const INVOCATION_HEADERS = {
  requestId: 'Lambda-Runtime-Aws-Request-Id',
  deadlineMs: 'Lambda-Runtime-Deadline-Ms',
  functionArn: 'Lambda-Runtime-Invoked-Function-Arn',
  traceId: 'Lambda-Runtime-Trace-Id',
  clientContext: 'Lambda-Runtime-Client-Context',
  cognitoIdentity: 'Lambda-Runtime-Cognito-Identity',
} as const;

/** Request header a runtime sets on /invocation/{id}/error and /init/error. */
export const FUNCTION_ERROR_TYPE_HEADER = 'lambda-runtime-function-error-type';

export type RuntimeRoute =
  | { kind: 'next' }
  | { kind: 'response'; requestId: string }
  | { kind: 'error'; requestId: string }
  | { kind: 'init-error' }
  | { kind: 'bad-request'; message: string }
  | { kind: 'method-not-allowed'; allowed: string }
  | { kind: 'not-found' };

const INVOCATION_PATH = /^\/invocation\/([^/]*)\/(response|error)$/;
/** Request ids are UUIDs here; anything else in that position is a malformed request. */
const REQUEST_ID = /^[A-Za-z0-9-]{1,128}$/;

export function routeRuntimeRequest(method: string, url: string): RuntimeRoute {
  const path = url.split('?')[0] ?? '';
  if (!path.startsWith(RUNTIME_API_PREFIX + '/')) return { kind: 'not-found' };
  const rest = path.slice(RUNTIME_API_PREFIX.length);
  if (rest === '/invocation/next') {
    return method === 'GET' ? { kind: 'next' } : { kind: 'method-not-allowed', allowed: 'GET' };
  }
  if (rest === '/init/error') {
    return method === 'POST' ? { kind: 'init-error' } : { kind: 'method-not-allowed', allowed: 'POST' };
  }
  const match = INVOCATION_PATH.exec(rest);
  if (!match) return { kind: 'not-found' };
  if (method !== 'POST') return { kind: 'method-not-allowed', allowed: 'POST' };
  const requestId = match[1] ?? '';
  if (!REQUEST_ID.test(requestId)) {
    return { kind: 'bad-request', message: `Malformed request id '${requestId}' in ${path}` };
  }
  return match[2] === 'response' ? { kind: 'response', requestId } : { kind: 'error', requestId };
}

/** The JSON body of the Runtime API's own error answers. */
export function apiErrorBody(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorMessage, errorType });
}
