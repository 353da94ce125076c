import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's own folder (the one holding data/ and layer/). The same code runs from src/ (tsx, jest),
 * from dist/ (the ncc bundle the action runs) and from an npm install, so walk up from this module's file
 * instead of assuming a depth.
 */
export function packageRoot(from: string = moduleDir()): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'data', 'stages.yml')) && existsSync(path.join(dir, 'layer'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(
        `r-lambda-layer: cannot find its data/ and layer/ folders above ${from}; is the package complete?`,
      );
    }
    dir = parent;
  }
}

function moduleDir(): string {
  // jest (CommonJS-transformed) has no import.meta; ncc's ESM output and tsx do.
  try {
    return path.dirname(fileURLToPath(import.meta.url));
  } catch {
    return process.cwd();
  }
}

export const dataFile = (name: string): string => path.join(packageRoot(), 'data', name);
export const layerDir = (): string => path.join(packageRoot(), 'layer');
