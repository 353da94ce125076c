/**
 * Putting the zips in place: the three layers are written into a hidden folder beside them and moved into the output
 * folder together, after the last run's outputs are removed. A reader never sees a partial set, nor an older
 * build's zips looking current beside a failed run.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { LAYER_FILES, LAYER_KINDS, MANIFEST_FILE, type LayerRecord } from '../../layers.js';
import { SBOM_FILE } from './sbom.js';
import { partitionLayers, writeLayerZip } from './zip.js';

/** Remove the zips, manifest and SBOM a previous run left. */
export async function removeOutputs(outDir: string): Promise<void> {
  for (const file of [...Object.values(LAYER_FILES), MANIFEST_FILE, SBOM_FILE])
    await rm(path.join(outDir, file), { force: true });
}

/** Zip each layer into a hidden folder first, then move all into place: never a partial set of zips. */
export async function writeZips(
  tree: string,
  outDir: string,
  installedPrefix: string,
): Promise<LayerRecord[]> {
  await mkdir(outDir, { recursive: true });
  await removeOutputs(outDir);
  const staging = path.join(outDir, `.r-lambda-layer-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const parts = await partitionLayers(tree);
    const layers: LayerRecord[] = [];
    for (const kind of LAYER_KINDS) {
      const file = LAYER_FILES[kind];
      const info = await writeLayerZip(tree, parts[kind], path.join(staging, file), { installedPrefix });
      layers.push({ name: kind, file, ...info });
    }
    for (const { file } of layers) await rename(path.join(staging, file), path.join(outDir, file));
    return layers;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
