import { errorChain, failureReport, UserError } from '../../src/errors.js';
import { optionError } from '../../src/options/parse.js';
import { parseRenvLock } from '../../src/pipeline/plan/lockfile.js';

describe('errors keep their cause', () => {
  it('UserError and optionError take { cause }', () => {
    const low = new Error('EACCES: permission denied');
    expect(new UserError('cannot read x', { cause: low }).cause).toBe(low);
    expect(optionError('lockfile', 'cannot read x', undefined, { cause: low }).cause).toBe(low);
  });

  it('a wrapped parse error keeps the JSON error below it', () => {
    let caught: unknown;
    try {
      parseRenvLock('{ not json', '/tmp/renv.lock');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toMatch(/lockfile \(--lockfile\): \/tmp\/renv\.lock is not JSON/);
    expect((caught as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('errorChain lists the error and each cause, and stops on a loop', () => {
    const root = new Error('socket hang up');
    const mid = new Error('fetch failed', { cause: root });
    const top = new UserError('cannot download', { cause: mid });
    expect(errorChain(top)).toEqual([top, mid, root]);
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    expect(errorChain(loop)).toEqual([loop]);
    expect(errorChain('a string')).toEqual(['a string']);
  });
});

describe('failureReport: what the fronts say', () => {
  it('a user error: its message and its causes, no stack', () => {
    const report = failureReport(
      new UserError('zlib: cannot download https://x/z.tgz', { cause: new Error('ECONNRESET') }),
    );
    expect(report.message).toBe('zlib: cannot download https://x/z.tgz\n  caused by: ECONNRESET');
    expect(report.detail).toMatch(
      /^UserError: zlib: cannot download[\s\S]*\n {4}at [\s\S]*\ncaused by: Error: ECONNRESET\n {4}at /,
    );
  });

  it('anything else is named as unexpected, and the detail holds every stack', () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'x')", {
      cause: new RangeError('deep'),
    });
    const report = failureReport(error);
    expect(report.message).toBe(
      "TypeError: Cannot read properties of undefined (reading 'x') (an unexpected error; its stack and causes are in the debug log)",
    );
    expect(report.detail).toMatch(
      /^TypeError: Cannot read[\s\S]*\n {4}at [\s\S]*caused by: RangeError: deep\n {4}at /,
    );
  });

  it('a thrown string is reported as it is', () => {
    expect(failureReport('plain')).toEqual({ message: 'plain', detail: 'plain' });
  });
});
