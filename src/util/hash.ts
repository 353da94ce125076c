/** SHA-256, the one digest the project records (manifest, SBOM, cache keys, lockfiles) and checks (sources, zips). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A file's SHA-256, hex, read as a stream (zips and tarballs are large). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** The SHA-256 of a string (as UTF-8) or bytes; hex unless asked for base64 (Lambda's CodeSha256). */
export function sha256(data: string | Uint8Array, encoding: 'hex' | 'base64' = 'hex'): string {
  return createHash('sha256').update(data).digest(encoding);
}

/**
 * One SHA-256 for a folder's files (those `include` accepts, by relative path): their relative paths and contents, in
 * sorted order (so it changes when any file is added, removed, renamed or edited, and not with timestamps or the
 * order the file system lists them in).
 */
export async function sha256Tree(
  dir: string,
  include: (file: string) => boolean = () => true,
): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter(include)
    .sort();
  const lines: string[] = [];
  for (const file of files) lines.push(`${await sha256File(path.join(dir, file))}  ${file}`);
  return sha256(lines.join('\n'));
}
