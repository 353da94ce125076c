/**
 * The three layer zips. Lambda unpacks every layer into /opt, so entry paths are relative to the prefix
 * (`R/bin/R`, `bootstrap`, `lib/libssl.so.3`). Deterministic: entries sorted byte-wise, one fixed timestamp,
 * no per-entry data that depends on the machine, the clock or the time zone; the same tree gives the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { lstat, mkdir, readdir, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import yazl from 'yazl';
import { UserError } from '../../errors.js';
import { isInside } from '../../util/fs.js';
import { sha256File } from '../../util/hash.js';
import { LAYER_TOP_FOLDERS, type LayerKind, type LayerRecord } from '../../layers.js';

/** The build's marker file (and anything named like it) lives in the prefix but belongs to no layer. */
export const MARKER_PREFIX = '.r-lambda-layer';

/** Which layer a top-level entry of the prefix goes to: R → r, local → r_lib, everything else → subsystem. */
export function layerOf(topEntry: string): LayerKind {
  if (topEntry === LAYER_TOP_FOLDERS.r) return 'r';
  if (topEntry === LAYER_TOP_FOLDERS.r_lib) return 'r_lib';
  return 'subsystem';
}

/** The prefix's top-level entries, by layer, sorted. The build's marker file is left out. */
export async function partitionLayers(prefix: string): Promise<Record<LayerKind, string[]>> {
  const layers: Record<LayerKind, string[]> = { r: [], r_lib: [], subsystem: [] };
  const names = (await readdir(prefix)).sort(byteOrder);
  for (const name of names) {
    if (name.startsWith(MARKER_PREFIX)) continue;
    layers[layerOf(name)].push(name);
  }
  return layers;
}

export type ZipSummary = Pick<LayerRecord, 'sha256' | 'zippedBytes' | 'unzippedBytes' | 'files'>;

/**
 * One entry of a layer zip. `name` is the path in the zip ('/'-separated, directories end with '/').
 * A link's `target` is what the unpacked symlink will contain.
 */
export type ZipEntry =
  | { kind: 'dir'; name: string; mode: number }
  | { kind: 'file'; name: string; mode: number; source: string; bytes: number }
  | { kind: 'link'; name: string; target: string };

/** Byte-wise order of UTF-8 strings (not locale order, which differs between machines). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * 1980-01-01 00:00:00, the earliest time a zip's DOS date field can hold. yazl encodes DOS times from the local
 * time fields, so building the date from local fields gives the same bytes in every time zone; the Info-ZIP
 * UTC extra field, which would differ, is turned off (forceDosTimestamp).
 */
function fixedTime(): Date {
  return new Date(1980, 0, 1, 0, 0, 0);
}

const S_IFLNK = 0o120000;
const SYMLINK_MODE = S_IFLNK | 0o777;

export interface ZipOptions {
  /**
   * Where the tree is installed at run time (e.g. `/opt`) when `root` is a staging copy of it: an absolute
   * symlink into that folder (`/opt/lib/libfoo.so.1`) then counts as inside the tree and is stored relative.
   */
  installedPrefix?: string;
}

/**
 * Whether a symlink at `linkPath` (real location) with text `text` stays inside `root`: its target, resolved
 * lexically and (when it exists) through any further links, must lie under root. Returns the absolute target.
 */
async function linkStaysInside(
  linkPath: string,
  text: string,
  root: string,
  realRoot: string,
  installedPrefix: string | undefined,
): Promise<string | null> {
  const installed = installedPrefix === undefined ? undefined : path.resolve(installedPrefix);
  const target =
    installed !== undefined && path.isAbsolute(text) && isInside(text, installed)
      ? path.join(root, path.relative(installed, text))
      : path.resolve(path.dirname(linkPath), text);
  if (!isInside(target, root)) return null;
  try {
    return isInside(await realpath(target), realRoot) ? target : null;
  } catch {
    // Dangling inside the tree: kept as a link, exactly as the tree has it.
    return target;
  }
}

/**
 * Every entry under `topEntries` of `root`, sorted by name. Symlinks whose target stays inside root are kept
 * as links (made relative, so the tree works wherever it is unpacked); links that leave root are followed
 * and what they point at is stored in their place.
 */
export async function collectEntries(
  root: string,
  topEntries: string[],
  options: ZipOptions = {},
): Promise<ZipEntry[]> {
  const absRoot = path.resolve(root);
  const realRoot = await realpath(absRoot);
  const entries: ZipEntry[] = [];

  // `source` is where the bytes are (differs from root/name below a followed link); `name` where they go.
  const visit = async (source: string, name: string, followedDirs: Set<string>): Promise<void> => {
    const info = await lstat(source);
    if (info.isSymbolicLink()) {
      const text = await readlink(source);
      const target = await linkStaysInside(source, text, absRoot, realRoot, options.installedPrefix);
      if (target !== null) {
        // Relative to where the link will sit in the unpacked tree.
        const relative = path.relative(path.dirname(path.join(absRoot, name)), target) || '.';
        entries.push({ kind: 'link', name, target: relative.split(path.sep).join('/') });
        return;
      }
      let resolved;
      try {
        resolved = await stat(source);
      } catch (error) {
        throw new UserError(
          `${path.join(absRoot, name)} is a symlink to ${text}, which is outside ${absRoot} and does not exist`,
          { cause: error },
        );
      }
      await store(source, resolved, name, followedDirs);
      return;
    }
    await store(source, info, name, followedDirs);
  };

  const store = async (
    source: string,
    info: Stats,
    name: string,
    followedDirs: Set<string>,
  ): Promise<void> => {
    const mode = info.mode & 0xffff;
    if (info.isDirectory()) {
      const real = await realpath(source);
      if (followedDirs.has(real)) throw new UserError(`symlink loop at ${path.join(absRoot, name)}`);
      entries.push({ kind: 'dir', name: `${name}/`, mode });
      const children = (await readdir(source)).sort(byteOrder);
      const inner = new Set(followedDirs).add(real);
      for (const child of children) await visit(path.join(source, child), `${name}/${child}`, inner);
    } else if (info.isFile()) {
      entries.push({ kind: 'file', name, mode, source, bytes: info.size });
    } else {
      throw new UserError(
        `${path.join(absRoot, name)} is neither a file, a directory nor a symlink; remove it from the layer`,
      );
    }
  };

  for (const top of [...topEntries].sort(byteOrder)) {
    await visit(path.join(absRoot, top), top, new Set());
  }
  return entries.sort((a, b) => byteOrder(a.name, b.name));
}

/**
 * Zip `topEntries` of `root` into `outFile`, deterministically. Written to a temporary file beside `outFile`
 * and renamed on success, so a failure never leaves a partial zip. `files` counts files and symlinks;
 * `unzippedBytes` is the sum of their sizes (a link's size is its text).
 */
export async function writeLayerZip(
  root: string,
  topEntries: string[],
  outFile: string,
  options: ZipOptions = {},
): Promise<ZipSummary> {
  const entries = await collectEntries(root, topEntries, options);
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  const temp = `${outFile}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const mtime = fixedTime();
  let unzippedBytes = 0;
  let files = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const zip = new yazl.ZipFile();
      const out = createWriteStream(temp);
      const fail = (error: unknown): void => {
        out.destroy(); // close the temp file before it is removed
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      zip.on('error', fail);
      out.on('error', fail);
      out.on('close', resolve);
      zip.outputStream.on('error', fail);
      zip.outputStream.pipe(out);
      for (const entry of entries) {
        const common = { mtime, forceDosTimestamp: true };
        if (entry.kind === 'dir') {
          zip.addEmptyDirectory(entry.name, { ...common, mode: entry.mode });
        } else if (entry.kind === 'file') {
          zip.addFile(entry.source, entry.name, { ...common, mode: entry.mode, compress: true });
          unzippedBytes += entry.bytes;
          files += 1;
        } else {
          const text = Buffer.from(entry.target, 'utf8');
          // Info-ZIP's unzip restores a symlink from an entry whose Unix mode says S_IFLNK and whose data is the target.
          zip.addBuffer(text, entry.name, { ...common, mode: SYMLINK_MODE, compress: false });
          unzippedBytes += text.length;
          files += 1;
        }
      }
      zip.end();
    });
    const sha256 = await sha256File(temp);
    const zippedBytes = (await stat(temp)).size;
    await rename(temp, outFile);
    return { sha256, zippedBytes, unzippedBytes, files };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
