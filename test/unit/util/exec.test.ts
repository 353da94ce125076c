import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, runChecked, runSync } from '../../../src/util/exec.js';

test('run returns the exit status and output; it rejects only when the program cannot start', async () => {
  expect(await run('sh', ['-c', 'echo out; echo err >&2; exit 3'])).toEqual({
    code: 3,
    stdout: 'out\n',
    stderr: 'err\n',
  });
  await expect(run('/no/such/program', [])).rejects.toThrow(/cannot run \/no\/such\/program: .*ENOENT/);
});

test('run collects output far larger than a pipe buffer', async () => {
  const { stdout } = await run('sh', ['-c', 'head -c 5000000 /dev/zero | tr "\\0" x']);
  expect(stdout.length).toBe(5_000_000);
});

test('run appends to a log file instead of returning the output', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'exec-'));
  try {
    const logFile = path.join(dir, 'logs', 'a.log');
    await run('sh', ['-c', 'echo one'], { logFile });
    const result = await run('sh', ['-c', 'echo two >&2'], { logFile });
    expect(result.stdout + result.stderr).toBe('');
    expect(await readFile(logFile, 'utf8')).toBe('one\ntwo\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('runChecked throws with the output; runSync returns stdout', async () => {
  await expect(runChecked('sh', ['-c', 'echo broken >&2; exit 1'])).rejects.toThrow(/exited with 1: broken/);
  expect(runSync('sh', ['-c', 'echo sync'])).toBe('sync\n');
});
