import {
  exitDescription,
  newInvocation,
  newTraceId,
  platformRecord,
  reportLine,
  reportRecord,
  timeoutOutcome,
} from '../../../src/runtime/invocation.js';

describe('invocation helpers', () => {
  test('trace ids have the X-Ray shape with the time in the root', () => {
    const id = newTraceId(Date.UTC(2026, 0, 1) + 500);
    expect(id).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(id.slice(7, 15)).toBe((Date.UTC(2026, 0, 1) / 1000).toString(16));
  });

  test('new invocations get fresh ids and JSON client context and identity', () => {
    const a = newInvocation(Buffer.from('{}'), { clientContext: { x: 1 }, cognitoIdentity: { y: 2 } });
    const b = newInvocation(Buffer.from('{}'));
    expect(a.requestId).not.toBe(b.requestId);
    expect(a.clientContext).toBe('{"x":1}');
    expect(a.cognitoIdentity).toBe('{"y":2}');
    expect(b.clientContext).toBeUndefined();
  });

  test('a timeout reads like Lambda', () => {
    const ending = timeoutOutcome('id-1', 2500);
    expect(ending.errorType).toBe('Sandbox.Timedout');
    expect(JSON.parse(ending.payload.toString())).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: id-1 Error: Task timed out after 2.50 seconds',
    });
  });

  test('exits are described as Lambda does', () => {
    expect(exitDescription(1, null)).toBe('exit status 1');
    expect(exitDescription(null, 'SIGKILL')).toBe('signal: killed');
    expect(exitDescription(null, 'SIGSEGV')).toBe('signal: SIGSEGV');
  });

  test('REPORT lines', () => {
    expect(reportLine({ requestId: 'r', durationMs: 1.234, memorySizeMb: 128 })).toBe(
      'REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB',
    );
    expect(
      reportLine({
        requestId: 'r',
        durationMs: 0,
        memorySizeMb: 256,
        maxMemoryUsedMb: 70,
        initDurationMs: 412.5,
        status: 'timeout',
      }),
    ).toBe(
      'REPORT RequestId: r\tDuration: 0.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB\tInit Duration: 412.50 ms\tStatus: timeout',
    );
  });

  test('with JSON logs, START and REPORT are platform events with the same figures', () => {
    const figures = {
      requestId: 'r',
      durationMs: 12.345,
      memorySizeMb: 256,
      maxMemoryUsedMb: 70,
      initDurationMs: 400,
    };
    expect(JSON.parse(platformRecord('platform.report', reportRecord(figures), new Date(0)))).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      type: 'platform.report',
      record: {
        requestId: 'r',
        metrics: {
          durationMs: 12.35,
          billedDurationMs: 13,
          memorySizeMB: 256,
          maxMemoryUsedMB: 70,
          initDurationMs: 400,
        },
        status: 'success',
      },
    });
    expect(reportRecord({ ...figures, status: 'timeout' })).toMatchObject({ status: 'timeout' });
  });
});
