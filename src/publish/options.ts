/**
 * The publishing inputs, named once and validated in one place. The CLI (`--regions …`) and the action
 * (`regions: …`) both hand their raw strings to parsePublishOptions, so both fronts accept and refuse the same
 * things with the same messages. Pure: no I/O.
 */
import { UserError } from '../errors.js';
import { LAYER_KINDS, type LayerKind } from '../layers.js';
import type { SharingGrant } from './sharing.js';

/** Input names as the action's `with:` keys; the CLI flag is the same name with `--`. */
export const PUBLISH_INPUTS = {
  out: 'out',
  regions: 'regions',
  sharing: 'sharing',
  layerPrefix: 'layer-prefix',
  layerNames: 'layer-names',
  s3Bucket: 's3-bucket',
  s3Prefix: 's3-prefix',
  dryRun: 'dry-run',
} as const;

export const PUBLISH_DEFAULTS = {
  out: 'layers',
  sharing: 'private',
  layerPrefix: 'r-lambda',
  s3Prefix: 'r-lambda-layer/',
} as const;

/** Lambda's rule for the name part of a layer (the API pattern is `[a-zA-Z0-9-_]+`). */
export const LAYER_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Lambda rejects longer names; the 140 in the API reference counts a full ARN. */
export const LAYER_NAME_MAX_LENGTH = 64;

/** Written in an S3 bucket name, replaced by each region: Lambda only reads layer zips from its own region. */
export const REGION_PLACEHOLDER = '{region}';

export interface PublishOptions {
  /** Folder with manifest.json and the zips it lists. */
  outDir: string;
  /** At least one; no duplicates. */
  regions: string[];
  /** Empty: private (only the publishing account). */
  sharing: SharingGrant[];
  layerPrefix: string;
  /** The name part of each kind (the kind itself unless renamed). */
  kindNames: Record<LayerKind, string>;
  /** For zips over the direct-upload limit; may contain {region}. */
  s3Bucket: string | undefined;
  /** Key prefix: no leading slash; ends with "/" unless empty. */
  s3Prefix: string;
  dryRun: boolean;
}

/**
 * Inputs as the fronts receive them: strings from the action (an empty string means "not given"),
 * strings or booleans from commander.
 */
export interface RawPublishOptions {
  out?: string;
  regions?: string | string[];
  sharing?: string;
  layerPrefix?: string;
  layerNames?: string;
  s3Bucket?: string;
  s3Prefix?: string;
  dryRun?: string | boolean;
}

type InputKey = keyof typeof PUBLISH_INPUTS;

function inputError(key: InputKey, problem: string, accepted: string): UserError {
  const name = PUBLISH_INPUTS[key];
  return new UserError(`Input "${name}" (--${name}): ${problem}. Accepted: ${accepted}.`);
}

function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Commas, whitespace or newlines separate list items, so YAML block scalars work in the action too. */
function splitList(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

// Partitions (aws, aws-cn, aws-us-gov, …) all name regions <area>-<place>-<n>, e.g. us-gov-west-1, cn-north-1.
const REGION_PATTERN = /^[a-z]{2,3}(-[a-z]+)+-\d{1,2}$/;

function parseRegions(raw: string | string[] | undefined): string[] {
  const accepted = 'a comma-separated list of AWS regions such as us-east-1,eu-west-1';
  const items = Array.isArray(raw) ? raw.flatMap(splitList) : splitList(raw ?? '');
  if (items.length === 0) {
    throw inputError('regions', 'no region given; publishing needs at least one', accepted);
  }
  for (const region of items) {
    if (!REGION_PATTERN.test(region)) {
      throw inputError('regions', `"${region}" is not an AWS region name`, accepted);
    }
  }
  return [...new Set(items)];
}

const ACCOUNT_PATTERN = /^\d{12}$/;
const ORGANIZATION_PATTERN = /^o-[a-z0-9]{10,32}$/;

function parseSharing(raw: string | undefined): SharingGrant[] {
  const accepted =
    'private | public | account:123456789012 | organization:o-xxxxxxxxxx, ' +
    'or several accounts and organizations separated by commas';
  const items = splitList(given(raw) ?? PUBLISH_DEFAULTS.sharing);
  const grants: SharingGrant[] = [];
  for (const item of items) {
    const [kind, value, extra] = item.split(':');
    const lower = kind?.toLowerCase();
    if (lower === 'private' && value === undefined) {
      continue;
    } else if (lower === 'public' && value === undefined) {
      grants.push({ kind: 'public' });
    } else if (lower === 'account' && value !== undefined && extra === undefined) {
      if (!ACCOUNT_PATTERN.test(value)) {
        throw inputError('sharing', `"${item}": an account id is 12 digits`, accepted);
      }
      grants.push({ kind: 'account', accountId: value });
    } else if (
      (lower === 'organization' || lower === 'organisation') &&
      value !== undefined &&
      extra === undefined
    ) {
      if (!ORGANIZATION_PATTERN.test(value)) {
        throw inputError('sharing', `"${item}": an organization id looks like o-a1b2c3d4e5`, accepted);
      }
      grants.push({ kind: 'organization', organizationId: value });
    } else {
      throw inputError('sharing', `"${item}" is not a sharing mode`, accepted);
    }
  }
  if (items.some((i) => i.toLowerCase() === 'private') && items.length > 1) {
    throw inputError('sharing', `"private" cannot be combined with other grants ("${raw}")`, accepted);
  }
  // Public already includes every account and organization; more statements would only add noise.
  if (grants.some((g) => g.kind === 'public') && grants.length > 1) {
    throw inputError(
      'sharing',
      `"public" already shares with everyone; drop the other grants ("${raw}")`,
      accepted,
    );
  }
  const unique = new Map(grants.map((g) => [JSON.stringify(g), g]));
  return [...unique.values()];
}

function checkNamePart(key: InputKey, value: string, accepted: string): void {
  if (!LAYER_NAME_PATTERN.test(value) || value.length > LAYER_NAME_MAX_LENGTH) {
    throw inputError(
      key,
      `"${value}" is not usable in a layer name (letters, digits, "-" and "_", at most ${LAYER_NAME_MAX_LENGTH})`,
      accepted,
    );
  }
}

function parseKindNames(raw: string | undefined): Record<LayerKind, string> {
  const accepted = `kind=name pairs for the kinds ${LAYER_KINDS.join(', ')}, e.g. r=R,r_lib=packages,subsystem=system`;
  const names = Object.fromEntries(LAYER_KINDS.map((kind) => [kind, kind])) as Record<LayerKind, string>;
  for (const item of splitList(given(raw) ?? '')) {
    const match = /^([^=]+)=(.*)$/.exec(item);
    const kind = match?.[1] as LayerKind | undefined;
    if (match === null || kind === undefined || !(LAYER_KINDS as readonly string[]).includes(kind)) {
      throw inputError('layerNames', `"${item}" does not name a layer kind`, accepted);
    }
    const name = match[2] ?? '';
    checkNamePart('layerNames', name, accepted);
    names[kind] = name;
  }
  return names;
}

function parseBucket(raw: string | undefined): string | undefined {
  const bucket = given(raw);
  if (bucket === undefined) return undefined;
  const accepted =
    `an S3 bucket name (3-63 lowercase letters, digits, "." and "-"), optionally with ${REGION_PLACEHOLDER} ` +
    `for one bucket per region, e.g. my-layers-${REGION_PLACEHOLDER}`;
  // Check the longest real region in place of the placeholder, so every expansion is a valid name.
  const sample = bucket.split(REGION_PLACEHOLDER).join('ap-southeast-5');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(sample) || sample.includes('..')) {
    throw inputError('s3Bucket', `"${bucket}" is not a valid bucket name`, accepted);
  }
  return bucket;
}

function parseS3Prefix(raw: string | undefined): string {
  const prefix = (given(raw) ?? PUBLISH_DEFAULTS.s3Prefix).replace(/^\/+/, '');
  const control = [...prefix].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || prefix.includes('\\') || prefix.split('/').includes('..')) {
    throw inputError(
      's3Prefix',
      `"${raw}" has control characters, backslashes or ".." segments`,
      'a key prefix such as layers/ or builds/r/',
    );
  }
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Booleans as YAML 1.2 core schema and @actions/core read them; anything else is a mistake worth reporting. */
function parseBoolean(key: InputKey, raw: string | boolean | undefined): boolean {
  if (typeof raw === 'boolean') return raw;
  const value = given(raw);
  if (value === undefined) return false;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw inputError(key, `"${value}" is not a boolean`, 'true | false');
}

export function parsePublishOptions(raw: RawPublishOptions): PublishOptions {
  const layerPrefix = given(raw.layerPrefix) ?? PUBLISH_DEFAULTS.layerPrefix;
  checkNamePart('layerPrefix', layerPrefix, 'letters, digits, "-" and "_", e.g. my-team-r');
  return {
    outDir: given(raw.out) ?? PUBLISH_DEFAULTS.out,
    regions: parseRegions(raw.regions),
    sharing: parseSharing(raw.sharing),
    layerPrefix,
    kindNames: parseKindNames(raw.layerNames),
    s3Bucket: parseBucket(raw.s3Bucket),
    s3Prefix: parseS3Prefix(raw.s3Prefix),
    dryRun: parseBoolean('dryRun', raw.dryRun),
  };
}
