import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ProcessHooks } from '../../../src/runtime/shutdown.js';
import { SIGNAL_EXIT_CODES, stopRuntimeWithProcess } from '../../../src/runtime/shutdown.js';

class FakeProcess extends EventEmitter {
  exitCodes: number[] = [];
  exit(code: number): void {
    this.exitCodes.push(code);
  }
}

function setUp(): { target: FakeProcess; kills: () => number; log: () => string; unhook: () => void } {
  const target = new FakeProcess();
  let kills = 0;
  let text = '';
  const log = new PassThrough();
  log.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const unhook = stopRuntimeWithProcess({
    killRuntime: () => (kills += 1),
    log,
    target: target as unknown as ProcessHooks,
  });
  return { target, kills: () => kills, log: () => text, unhook };
}

describe('stopRuntimeWithProcess', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s kills the runtime, says so and exits %d', async (signal, code) => {
    const { target, kills, log } = setUp();
    target.emit(signal, signal);
    expect(kills()).toBe(1);
    expect(target.exitCodes).toEqual([code]);
    expect(SIGNAL_EXIT_CODES[signal]).toBe(code);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log()).toBe(`${signal}: stopped the R runtime\n`);
  });

  test('any exit kills the runtime', () => {
    const { target, kills } = setUp();
    target.emit('exit', 0);
    expect(kills()).toBe(1);
    expect(target.exitCodes).toEqual([]);
  });

  test('unhooking removes every listener', () => {
    const { target, kills, unhook } = setUp();
    expect(target.listenerCount('SIGINT')).toBe(1);
    unhook();
    for (const event of ['exit', 'SIGINT', 'SIGTERM']) expect(target.listenerCount(event)).toBe(0);
    target.emit('exit', 0);
    expect(kills()).toBe(0);
  });
});
