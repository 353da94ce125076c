/**
 * Layer names: what a person sees in the console and in ARNs, so they say what is inside.
 * `<prefix>-<kind>-<R version>-<architecture>`, e.g. `r-lambda-r_lib-4_4_1-arm64`.
 * Pure: no I/O.
 */
import { UserError } from '../errors.js';
import type { Architecture, LayerName } from '../pipeline/types.js';

/** Lambda's rule for the name part of a layer (the API pattern is `[a-zA-Z0-9-_]+`). */
export const LAYER_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Lambda rejects longer names; the 140 in the API reference counts a full ARN. */
export const LAYER_NAME_MAX_LENGTH = 64;

/**
 * An R version as it may appear in a layer name: dots (and anything else Lambda refuses, as in
 * `4.5.0-patched` or `devel (r87000)`) become `_`, so `4.4.1` reads `4_4_1`.
 */
export function rVersionForName(rVersion: string): string {
  const safe = rVersion
    .trim()
    .replace(/[^A-Za-z0-9-]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return safe === '' ? 'unknown' : safe;
}

export interface LayerNameParts {
  prefix: string;
  /** The kind's name part: the kind itself unless the user renamed it. */
  kindName: string;
  rVersion: string;
  architecture: Architecture;
}

export function layerName(parts: LayerNameParts): string {
  return [parts.prefix, parts.kindName, rVersionForName(parts.rVersion), parts.architecture]
    .filter((part) => part !== '')
    .join('-');
}

/**
 * Names for every kind, checked against Lambda's rules here rather than by a failed API call.
 * Two kinds renamed to the same name would publish into one layer, so that is refused too.
 */
export function layerNamesFor(
  kinds: readonly LayerName[],
  kindNames: Readonly<Record<LayerName, string>>,
  prefix: string,
  rVersion: string,
  architecture: Architecture,
): Record<LayerName, string> {
  const names = {} as Record<LayerName, string>;
  const seen = new Map<string, LayerName>();
  for (const kind of kinds) {
    const name = layerName({ prefix, kindName: kindNames[kind], rVersion, architecture });
    if (!LAYER_NAME_PATTERN.test(name)) {
      throw new UserError(
        `Layer name "${name}" for the ${kind} layer has characters Lambda refuses; ` +
          'use only letters, digits, "-" and "_" in layer-prefix and layer-names.',
      );
    }
    if (name.length > LAYER_NAME_MAX_LENGTH) {
      throw new UserError(
        `Layer name "${name}" for the ${kind} layer is ${name.length} characters; Lambda allows ` +
          `${LAYER_NAME_MAX_LENGTH}. Shorten layer-prefix ("${prefix}") or the kind's name in layer-names.`,
      );
    }
    const clash = seen.get(name);
    if (clash !== undefined) {
      throw new UserError(
        `The ${clash} and ${kind} layers would both be named "${name}"; give them different names in layer-names.`,
      );
    }
    seen.set(name, kind);
    names[kind] = name;
  }
  return names;
}
