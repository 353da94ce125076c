import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import { memoryLogger } from '../../../src/log.js';
import { checkRLinks } from '../../../src/pipeline/tree/link-checks.js';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'link-checks-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('checkRLinks: ldd failing is reported as ldd failing', () => {
  it('a libR.so that is not a dynamic executable: ldd exit status and its own words, not R configure', async () => {
    await mkdir(path.join(work, 'R/lib/R/lib'), { recursive: true });
    await writeFile(path.join(work, 'R/lib/R/lib/libR.so'), 'not an ELF file\n');
    const error = await checkRLinks(work, path.join(work, 'lib'), memoryLogger()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    // Real ldd (glibc's script) on a text file: "not a dynamic executable", exit status 1.
    expect(message).toMatch(
      /cannot check which libraries R's lib\/libR\.so links: `ldd .*libR\.so` exited with 1/,
    );
    expect(message).toMatch(/not a dynamic executable/);
    expect(message).not.toMatch(/configure/);
  });

  it('a missing R: ldd says the file does not exist', async () => {
    const error = await checkRLinks(work, path.join(work, 'lib'), memoryLogger()).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/exited with \d+ \(.*No such file or directory/s);
  });
});
