/**
 * Fetching a stage's source: from a per-stage override, else from the mirror (by the upstream file name), else
 * upstream. Every file is verified before anything unpacks it; a mismatch deletes the file.
 */
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../errors.js';
import { DEFAULT_RETRY, downloadFile, HttpStatusError } from '../../util/fetch.js';
import { sha256File } from '../../util/hash.js';
import type { Logger } from '../../log.js';
import type { SourceSpec } from '../plan/plan.js';
import type { Sha256Source } from '../../layers.js';

export interface FetchedSource {
  file: string;
  /** Where it came from (recorded in the manifest). */
  url: string;
  sha256: string;
}

/** How the build log says what a source file's sum was checked against. */
export const CHECKED_AGAINST: Record<Sha256Source, string> = {
  pinned: 'matches the pinned sum (data/stages.yml, or the extra-stages file)',
  override: "matches the override's sum",
  'r-sha256': 'matches --r-sha256',
  computed: 'computed, not checked against any pinned or given sum',
};

/** Pure: the one place a source is taken from. */
export function chooseLocation(
  spec: SourceSpec,
  mirror: string | undefined,
): { location: string; via: string } {
  if (spec.overrideLocation) return { location: spec.overrideLocation, via: 'override' };
  if (mirror) return { location: joinLocation(mirror, spec.fileName), via: 'mirror' };
  return { location: spec.upstreamUrl, via: 'upstream' };
}

function joinLocation(base: string, file: string): string {
  return /^[a-z]+:\/\//.test(base)
    ? `${base.replace(/\/+$/, '')}/${encodeURIComponent(file)}`
    : path.join(base, file);
}

const isUrl = (s: string): boolean => /^https?:\/\//.test(s);
const localPath = (s: string): string => (s.startsWith('file://') ? fileURLToPath(s) : s);

/** Download or copy `location` to `dest` (via a temporary name, so an interrupted fetch leaves nothing). */
async function retrieve(
  location: string,
  dest: string,
  stageName: string,
  via: string,
  log: Logger,
): Promise<void> {
  const tmp = `${dest}.part`;
  await mkdir(path.dirname(dest), { recursive: true });
  try {
    if (isUrl(location)) {
      try {
        await downloadFile(location, tmp, {
          retry: { ...DEFAULT_RETRY, onRetry: (m) => log.warn(`${stageName}: ${m}`) },
        });
      } catch (error) {
        if (error instanceof HttpStatusError) {
          throw new UserError(
            `${stageName}: downloading ${location} failed with HTTP ${error.status}${via === 'mirror' ? ' (not in the mirror?)' : ''}.`,
            { cause: error },
          );
        }
        const reason = (error as Error).cause ?? (error as Error).message;
        throw new UserError(
          `${stageName}: cannot download ${location} (${String(reason)}). ` +
            `Offline or air-gapped? Give --source-mirror DIR with the file, or --override ${stageName}=PATH,sha256=….`,
          { cause: error },
        );
      }
    } else {
      const file = localPath(location);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) {
        const hint =
          via === 'mirror'
            ? `Put ${path.basename(file)} in the mirror, or give --override ${stageName}=PATH,sha256=HEX[,version=V] for a file with another name.`
            : 'Check the path in the override.';
        throw new UserError(`${stageName}: source file ${file} does not exist (${via}). ${hint}`);
      }
      await copyFile(file, tmp);
    }
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Fetch and verify one stage's source into `downloadDir`. */
export async function fetchSource(
  stageName: string,
  spec: SourceSpec,
  mirror: string | undefined,
  downloadDir: string,
  log: Logger,
): Promise<FetchedSource> {
  const { location, via } = chooseLocation(spec, mirror);
  const fileName = path.basename(localPath(location.split('?')[0] ?? location));
  const dest = path.join(downloadDir, `${stageName}-${fileName}`);
  await rm(dest, { force: true });
  await retrieve(location, dest, stageName, via, log);
  const actual = await sha256File(dest);
  if (spec.sha256 && actual !== spec.sha256) {
    await rm(dest, { force: true });
    throw new UserError(
      `${stageName}: checksum mismatch for ${location}\n  expected sha256 ${spec.sha256} (${spec.sha256Source})\n  actual   sha256 ${actual}\n` +
        `The file is not the one ${spec.sha256Source === 'pinned' ? 'pinned' : 'expected'}: a corrupted or tampered download, or a different release. ` +
        `If you trust this file, pass its sum explicitly (--override ${stageName}=…,sha256=${actual}${stageName === 'R' ? ' or --r-sha256' : ''}).`,
    );
  }
  if (spec.sha256) {
    log.info(`${stageName}: ${fileName} (${via}) sha256 ${actual} ${CHECKED_AGAINST[spec.sha256Source]}`);
  } else {
    log.warn(
      `${stageName}: no pinned or given sha256 for ${location}; computed ${actual} (recorded in manifest.json). Pin it with sha256=… to verify future builds.`,
    );
  }
  return {
    file: dest,
    url: isUrl(location) ? location : `file://${path.resolve(localPath(location))}`,
    sha256: actual,
  };
}
