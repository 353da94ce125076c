import { jest } from '@jest/globals';
import { memoryLogger } from '../../../src/log.js';
import {
  formatElapsed,
  progressInterval,
  stepOf,
  withProgress,
} from '../../../src/pipeline/stages/progress.js';

describe('stage progress', () => {
  it.each([
    ['./configure --prefix=/opt --with-openssl=/opt', 'configure'],
    ['LIBnn=lib ./configure --prefix=/opt/R --enable-R-shlib', 'configure'],
    ['./config --prefix=/opt shared', 'configure'],
    ['make -j{jobs}', 'make'],
    ['make -f Makefile-libbz2_so', 'make'],
    ['make install DESTDIR={destdir}', 'install'],
    ['make install_sw install_ssldirs DESTDIR={destdir}', 'install'],
    ['sed -i "s|^R_LIBS_USER=|# R_LIBS_USER=|" x', 'sed'],
  ])('names the step of %s: %s', (command, step) => {
    expect(stepOf(command)).toBe(step);
  });

  it('formats elapsed time as a person reads it', () => {
    expect(formatElapsed(9.7)).toBe('9s');
    expect(formatElapsed(75)).toBe('1m15s');
    expect(formatElapsed(600)).toBe('10m00s');
  });

  it('reads its pace from R_LAMBDA_LAYER_PROGRESS_SECONDS (20 s by default; 0 turns it off)', () => {
    expect(progressInterval({})).toBe(20);
    expect(progressInterval({ R_LAMBDA_LAYER_PROGRESS_SECONDS: '5' })).toBe(5);
    expect(progressInterval({ R_LAMBDA_LAYER_PROGRESS_SECONDS: '0' })).toBe(0);
    expect(progressInterval({ R_LAMBDA_LAYER_PROGRESS_SECONDS: 'soon' })).toBe(20);
  });

  it('prints a line at a steady pace while the work runs, and none after it ends', async () => {
    jest.useFakeTimers({ doNotFake: ['performance'] });
    try {
      const log = memoryLogger();
      let finish!: (value: string) => void;
      const done = withProgress(
        log,
        'R',
        'make',
        performance.now(),
        () => new Promise<string>((r) => (finish = r)),
        15,
      );
      jest.advanceTimersByTime(44_000);
      expect(log.lines).toHaveLength(2);
      expect(log.lines[0]).toMatch(/^ {2}R: make … \d+s$/);
      finish('built');
      await expect(done).resolves.toBe('built');
      jest.advanceTimersByTime(60_000);
      expect(log.lines).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
