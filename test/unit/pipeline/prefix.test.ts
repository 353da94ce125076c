import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOCK, MARKER, parseMarker, Prefix } from '../../../src/pipeline/stages/prefix.js';

describe('prefix ownership', () => {
  let dir: string;
  let prefix: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rll-prefix-'));
    prefix = path.join(dir, 'opt');
    await mkdir(path.join(prefix, 'theirs'), { recursive: true });
    await writeFile(path.join(prefix, 'theirs', 'keep.txt'), 'not ours');
  });

  async function staged(name: string, files: Record<string, string>): Promise<string> {
    const root = path.join(dir, name, 'opt');
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    }
    return root;
  }

  it('adds staged trees, records them, and a later claim removes only those', async () => {
    const p = new Prefix(prefix);
    await p.claim();
    await p.add(await staged('a', { 'lib/liba.so': 'a', bootstrap: '#!/bin/sh' }));
    expect(p.entries()).toEqual(['bootstrap', 'lib']);
    expect((await readFile(path.join(prefix, MARKER), 'utf8')).trim().split('\n')).toEqual([
      'bootstrap',
      'lib',
    ]);
    await p.release();

    const again = new Prefix(prefix);
    await again.claim();
    expect((await readdir(prefix)).sort()).toEqual([MARKER, LOCK, 'theirs'].sort());
    expect(await readFile(path.join(prefix, 'theirs', 'keep.txt'), 'utf8')).toBe('not ours');
    await again.release();
    expect(await readdir(prefix)).not.toContain(LOCK);
  });

  it('refuses to overwrite an entry it did not create', async () => {
    const p = new Prefix(prefix);
    await p.claim();
    await expect(p.add(await staged('b', { 'theirs/x': 'x' }))).rejects.toThrow(
      /opt\/theirs exists and was not made by r-lambda-layer/,
    );
    await p.release();
  });

  it('a missing staged dependency is an error, not an empty add', async () => {
    const p = new Prefix(prefix);
    await p.claim();
    await expect(p.add(path.join(dir, 'never-built', 'opt'))).rejects.toThrow(
      /staged files missing at .*never-built/,
    );
    await p.release();
  });

  it('a second build on the same prefix is refused while the first runs', async () => {
    const first = new Prefix(prefix);
    await first.claim();
    await expect(new Prefix(prefix).claim()).rejects.toThrow(
      new RegExp(`in use by another r-lambda-layer build \\(process ${process.pid}\\)`),
    );
    await first.release();
    const second = new Prefix(prefix);
    await second.claim();
    await second.release();
  });

  it('takes over a lock whose process is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('exit', resolve));
    await mkdir(prefix, { recursive: true });
    await writeFile(path.join(prefix, LOCK), String(pid));
    const p = new Prefix(prefix);
    await p.claim();
    expect(await readFile(path.join(prefix, LOCK), 'utf8')).toBe(String(process.pid));
    await p.release();
  });

  it('refuses marker lines that are not top-level names', async () => {
    expect(parseMarker('R\nlib\n', 'm')).toEqual(['R', 'lib']);
    for (const bad of ['..', '.', 'lib/../../etc']) {
      expect(() => parseMarker(`R\n${bad}\n`, '/opt/.marker')).toThrow(
        /\/opt\/\.marker lists ".*", which is not a top-level name/,
      );
    }
    await writeFile(path.join(prefix, MARKER), '..\n');
    await expect(new Prefix(prefix).claim()).rejects.toThrow(/not a top-level name/);
  });
});
