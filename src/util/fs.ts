/** File-system helpers shared by the pipeline, the caches and the scripts. */
import { lstat, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from './exec.js';

/** Copy a folder's contents into another, keeping modes, symlinks and hard links (`cp -a`). */
export async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  await runChecked('cp', ['-a', `${from}/.`, `${to}/`]);
}

/** Write a text file whole or not at all: a reader never sees half of it, a failed write leaves the old one. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** The last `n` lines of a log file, for error messages ('' when it cannot be read). */
export async function tail(file: string, n = 50): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/**
 * True when `file` is `folder` itself or lies below it (or below any of several folders). Lexical: both paths are
 * resolved against the working directory, symlinks are not followed.
 */
export function isInside(file: string, folder: string | readonly string[]): boolean {
  if (typeof folder !== 'string') return folder.some((f) => isInside(file, f));
  const rel = path.relative(path.resolve(folder), path.resolve(file));
  // `..foo` is a name inside; only `..` itself or `../…` leaves.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Whether anything (a dangling symlink too) is at `file`. */
export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}
