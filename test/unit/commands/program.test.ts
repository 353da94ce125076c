import { jest } from '@jest/globals';
import { runProgram } from '../../../src/commands/program.js';

/** Run the CLI in-process and keep what it writes to stderr. */
async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const code = await runProgram(['node', 'r-lambda-layer', ...args]);
    return { code, stderr: written.join('') };
  } finally {
    spy.mockRestore();
  }
}

it('prints a user error with what caused it, and no stack', async () => {
  const run = await cli('build', '--lockfile', '/no/such/renv.lock', '--no-toolchain');
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(
    /^error: lockfile \(--lockfile\): cannot read \/no\/such\/renv\.lock \(ENOENT\); use /,
  );
  expect(run.stderr).toMatch(
    /\n {2}caused by: ENOENT: no such file or directory, open '\/no\/such\/renv\.lock'\n$/,
  );
  expect(run.stderr).not.toMatch(/\n\s+at /);
});
