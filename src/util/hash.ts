/** SHA-256, the one digest the project records (manifest, SBOM, cache keys, lockfiles) and checks (sources, zips). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
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
