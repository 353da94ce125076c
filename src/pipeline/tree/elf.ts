/**
 * ELF files (executables, shared libraries) in an installed tree, and batching the binutils/glibc tools (readelf, ldd,
 * strip) over them. The shared-library closure, the glibc scan and strip all start from this list. One process per
 * file is the slow part of scanning a tree of hundreds of ELF files, so callers batch (and run through util/exec.ts).
 */
import { lstat, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** ELF e_type values (offset 16 of the header) that strip and ldd can work on. */
export const ELF_TYPE = { relocatable: 1, executable: 2, shared: 3, core: 4 } as const;

/**
 * True when `file` is a regular file (following a symlink) that starts with the ELF magic.
 * Directories, FIFOs and devices are never opened: reading a FIFO would block forever.
 */
export async function isElf(file: string): Promise<boolean> {
  return (await readElfHeader(file, 4)) !== null;
}

/**
 * The ELF e_type of `file` (1 relocatable, 2 executable, 3 shared object or PIE), or null when it is not ELF.
 * strip must only touch executables and shared objects: stripping a `.o` breaks linking against it.
 */
export async function elfType(file: string): Promise<number | null> {
  const header = await readElfHeader(file, 18);
  if (header === null || header.length < 18) return null;
  // EI_DATA (byte 5): 1 little-endian, 2 big-endian.
  return header[5] === 2 ? header.readUInt16BE(16) : header.readUInt16LE(16);
}

async function readElfHeader(file: string, length: number): Promise<Buffer | null> {
  let info;
  try {
    info = await stat(file);
  } catch {
    return null; // dangling symlink or vanished file: not an ELF file we can use
  }
  if (!info.isFile() || info.size < 4) return null;
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    const header = buffer.subarray(0, bytesRead);
    return header.subarray(0, 4).equals(ELF_MAGIC) ? header : null;
  } finally {
    await handle.close();
  }
}

/**
 * Absolute paths of the regular ELF files under `root`, sorted.
 * Symlinks are neither followed nor listed: the file they name is listed where it really lives,
 * and a link that leaves the tree must not pull outside files into a strip or a scan.
 */
export async function findElfFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of await listRegularFiles(path.resolve(root))) {
    if (await isElf(file)) found.push(file);
  }
  return found.sort();
}

/** Every regular file under `root` (absolute paths), without following symlinks. */
export async function listRegularFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  const info = await lstat(root);
  if (info.isDirectory()) await walk(root);
  else if (info.isFile()) files.push(root);
  return files;
}

/**
 * Split `items` into batches that keep one command line well under the kernel's limit
 * (ARG_MAX is 2 MB on Linux, but a single argument string is capped at 128 KB and the environment counts too).
 */
export function batches(items: string[], maxItems = 200, maxChars = 100_000): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxItems || chars + item.length + 1 > maxChars)) {
      out.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += item.length + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Split the output of one tool run over several files (ldd, readelf) into each file's part, at the header lines
 * `header` matches (its first group is the file). With a single file there is no header: all output is that file's.
 */
export function splitByFileHeader(output: string, files: string[], header: RegExp): Map<string, string> {
  const parts = new Map<string, string>();
  if (files.length === 1 && files[0] !== undefined) {
    parts.set(files[0], output);
    return parts;
  }
  const wanted = new Set(files);
  let current: string | null = null;
  let lines: string[] = [];
  const flush = (): void => {
    if (current !== null) parts.set(current, lines.join('\n'));
  };
  for (const line of output.split('\n')) {
    const file = header.exec(line)?.[1];
    if (file !== undefined && wanted.has(file)) {
      flush();
      current = file;
      lines = [];
    } else {
      lines.push(line);
    }
  }
  flush();
  return parts;
}
