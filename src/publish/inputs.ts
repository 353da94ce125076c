/**
 * Reads what a build left in the output folder (manifest.json and the zips it lists) and checks that they
 * belong together, so that nothing is published from a half-written or mixed-up folder.
 * Reads files only; no network.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import {
  ARCHITECTURES,
  LAMBDA_RUNTIME,
  LAYER_KINDS,
  MANIFEST_FILE,
  type LayerRecord,
  type Manifest,
} from '../layers.js';
import { sha256, sha256File } from '../util/hash.js';

export interface LoadedLayer {
  record: LayerRecord;
  /** Absolute path of the zip. */
  path: string;
  /** Size on disk, equal to record.zippedBytes. */
  bytes: number;
}

export interface PublishInput {
  outDir: string;
  manifest: Manifest;
  /** sha256 of manifest.json's bytes: names this exact build in descriptions and S3 keys. */
  manifestSha256: string;
  layers: LoadedLayer[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks the fields publishing relies on. The build writes the manifest, but a user may point --out at an
 * old or edited folder, and a wrong field here would end up in a public layer's name or description.
 * Each zip's size and sha256 are checked against the zip itself by loadPublishInput.
 */
function checkManifest(value: unknown, where: string): Manifest {
  const fail = (problem: string): UserError =>
    new UserError(`${where}: ${problem}. Rebuild the layers or point --out at the folder the build wrote.`);
  if (!isObject(value)) throw fail('not a JSON object');
  if (value['schemaVersion'] !== 1) {
    throw fail(`schemaVersion is ${JSON.stringify(value['schemaVersion'])}; this tool reads schemaVersion 1`);
  }
  if (typeof value['rVersion'] !== 'string' || value['rVersion'].trim() === '')
    throw fail('rVersion is missing');
  if (!(ARCHITECTURES as readonly unknown[]).includes(value['architecture'])) {
    throw fail(
      `architecture is ${JSON.stringify(value['architecture'])}; expected ${ARCHITECTURES.join(' or ')}`,
    );
  }
  const packages = value['rPackages'] ?? [];
  if (
    !Array.isArray(packages) ||
    !packages.every((p) => isObject(p) && typeof p['name'] === 'string' && typeof p['version'] === 'string')
  ) {
    throw fail('rPackages is not a list of {name, version, library}');
  }
  const runtimes = value['compatibleRuntimes'];
  // The publisher gives these to Lambda as the layers' compatible runtimes.
  if (
    !Array.isArray(runtimes) ||
    runtimes.length === 0 ||
    !runtimes.every((r) => typeof r === 'string' && r !== '')
  )
    throw fail(
      `compatibleRuntimes is ${JSON.stringify(runtimes)}; expected a list such as ["${LAMBDA_RUNTIME}"]`,
    );
  const layers = value['layers'];
  if (!Array.isArray(layers) || layers.length === 0) throw fail('lists no layers');
  const seen = new Set<string>();
  for (const layer of layers) {
    if (!isObject(layer)) throw fail('a layers entry is not an object');
    const name = layer['name'];
    if (!(LAYER_KINDS as readonly unknown[]).includes(name)) {
      throw fail(`layer ${JSON.stringify(name)} is not one of ${LAYER_KINDS.join(', ')}`);
    }
    if (seen.has(name as string)) throw fail(`layer ${String(name)} is listed twice`);
    seen.add(name as string);
    const file = layer['file'];
    // A bare file name beside manifest.json: never a path that leads out of the folder.
    if (
      typeof file !== 'string' ||
      file === '' ||
      file !== path.basename(file) ||
      file === '..' ||
      file === '.'
    ) {
      throw fail(
        `layer ${String(name)} has file ${JSON.stringify(file)}; expected a file name such as r.zip`,
      );
    }
  }
  return value as unknown as Manifest;
}

/**
 * Loads and checks the output folder: manifest.json parses and is complete, every zip it lists exists with
 * the recorded size and sha256. Throws a UserError naming the first problem; makes no API call.
 */
export async function loadPublishInput(outDir: string): Promise<PublishInput> {
  const dir = path.resolve(outDir);
  const manifestPath = path.join(dir, MANIFEST_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(manifestPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `No ${MANIFEST_FILE} in ${dir}: build the layers first (r-lambda-layer build --out ${outDir}) or point --out at the build's output folder.`
        : `Cannot read ${manifestPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new UserError(`${manifestPath} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const manifest = checkManifest(parsed, manifestPath);
  const manifestSha256 = sha256(bytes);

  const layers: LoadedLayer[] = [];
  for (const record of manifest.layers) {
    const zip = path.join(dir, record.file);
    let size: number;
    try {
      const info = await stat(zip);
      if (!info.isFile()) throw new Error('not a regular file');
      size = info.size;
    } catch (error) {
      throw new UserError(
        `${MANIFEST_FILE} lists ${record.file} for the ${record.name} layer, but ${zip} cannot be read ` +
          `(${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Rebuild the layers.`,
        { cause: error },
      );
    }
    if (size !== record.zippedBytes) {
      throw new UserError(
        `${zip} is ${size} bytes but ${MANIFEST_FILE} records ${record.zippedBytes}: the zip and the manifest ` +
          'come from different builds. Rebuild the layers.',
      );
    }
    const actual = await sha256File(zip);
    if (actual !== record.sha256) {
      throw new UserError(
        `${zip} has sha256 ${actual} but ${MANIFEST_FILE} records ${record.sha256}: the zip and the manifest ` +
          'come from different builds. Rebuild the layers.',
      );
    }
    layers.push({ record, path: zip, bytes: size });
  }
  return { outDir: dir, manifest, manifestSha256, layers };
}
