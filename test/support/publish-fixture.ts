/**
 * An output folder as a build leaves it (the zips and a manifest.json that lists them), made with yazl so the
 * zips are real archives Lambda's first check (the local-file-header magic) accepts. Contents are random,
 * stored without compression, so a size asked for is the size on disk, give or take the zip's framing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import yazl from 'yazl';
import {
  LAYER_KINDS,
  type Architecture,
  type LayerKind,
  type LayerRecord,
  type Manifest,
  type RPackageRecord,
} from '../../src/layers.js';

export interface FixtureOptions {
  rVersion?: string;
  architecture?: Architecture;
  /** Bytes of random payload per layer; 4 KiB when not given. */
  payloadBytes?: Partial<Record<LayerKind, number>>;
  rPackages?: RPackageRecord[];
}

export interface Fixture {
  dir: string;
  manifest: Manifest;
  manifestSha256: string;
  zips: Record<LayerKind, Buffer>;
}

export async function zipOf(entries: Record<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) {
    zip.addBuffer(data, name, { compress: false, mtime: new Date('2024-01-01T00:00:00Z'), mode: 0o100644 });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export async function writeFixture(dir: string, options: FixtureOptions = {}): Promise<Fixture> {
  await mkdir(dir, { recursive: true });
  const zips = {} as Record<LayerKind, Buffer>;
  const layers: LayerRecord[] = [];
  for (const name of LAYER_KINDS) {
    const payload = randomBytes(options.payloadBytes?.[name] ?? 4096);
    const zip = await zipOf({ [`${name}/payload.bin`]: payload });
    zips[name] = zip;
    await writeFile(path.join(dir, `${name}.zip`), zip);
    layers.push({
      name,
      file: `${name}.zip`,
      sha256: sha256(zip),
      zippedBytes: zip.length,
      unzippedBytes: payload.length,
      files: 1,
    });
  }
  const manifest: Manifest = {
    schemaVersion: 1,
    tool: { name: 'r-lambda-layer', version: '0.0.0-test' },
    rVersion: options.rVersion ?? '4.4.1',
    architecture: options.architecture ?? 'x86_64',
    compatibleRuntimes: ['provided.al2023'],
    prefix: '/opt',
    stages: [],
    lockfile: null,
    hostLibraries: [],
    rPackages: options.rPackages ?? [
      { name: 'jsonlite', version: '1.8.8', library: 'R' },
      { name: 'aws.s3', version: '0.3.22', library: 'site' },
    ],
    layers,
    host: { osId: 'amzn', osVersion: '2023', arch: options.architecture ?? 'x86_64', glibc: '2.34' },
    glibcRequired: '2.34',
    lambdaCompatible: true,
    warnings: [],
  };
  const text = JSON.stringify(manifest, null, 2) + '\n';
  await writeFile(path.join(dir, 'manifest.json'), text);
  return { dir, manifest, manifestSha256: sha256(Buffer.from(text)), zips };
}
