/**
 * The publishing options, validated in one place. The CLI (`--regions …`) and the action (`regions: …`) both hand
 * their raw values to parsePublishOptions, so both fronts accept and refuse the same things with the same messages.
 * The options themselves (names, defaults, flags, descriptions) are declared in src/options/declarations.ts.
 * Pure: no I/O.
 */
import {
  booleanOption,
  givenText,
  listOption,
  optionError,
  textOption,
  type RawOptions,
} from '../options/parse.js';
import { LAYER_KINDS, type LayerKind } from '../layers.js';
import type { SharingGrant } from './sharing.js';

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

// Partitions (aws, aws-cn, aws-us-gov, …) all name regions <area>-<place>-<n>, e.g. us-gov-west-1, cn-north-1.
const REGION_PATTERN = /^[a-z]{2,3}(-[a-z]+)+-\d{1,2}$/;

function parseRegions(raw: RawOptions): string[] {
  const items = listOption(raw, 'regions');
  if (items.length === 0) throw optionError('regions', 'no region given; publishing needs at least one');
  for (const region of items) {
    if (!REGION_PATTERN.test(region)) throw optionError('regions', `"${region}" is not an AWS region name`);
  }
  return [...new Set(items)];
}

const ACCOUNT_PATTERN = /^\d{12}$/;
const ORGANIZATION_PATTERN = /^o-[a-z0-9]{10,32}$/;

function parseSharing(raw: RawOptions): SharingGrant[] {
  const fail = (problem: string) => optionError('sharing', problem);
  const items = listOption(raw, 'sharing');
  const text = textOption(raw, 'sharing');
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
        throw fail(`"${item}": an account id is 12 digits`);
      }
      grants.push({ kind: 'account', accountId: value });
    } else if (
      (lower === 'organization' || lower === 'organisation') &&
      value !== undefined &&
      extra === undefined
    ) {
      if (!ORGANIZATION_PATTERN.test(value)) {
        throw fail(`"${item}": an organization id looks like o-a1b2c3d4e5`);
      }
      grants.push({ kind: 'organization', organizationId: value });
    } else {
      throw fail(`"${item}" is not a sharing mode`);
    }
  }
  if (items.some((i) => i.toLowerCase() === 'private') && items.length > 1) {
    throw fail(`"private" cannot be combined with other grants ("${text}")`);
  }
  // Public already includes every account and organization; more statements would only add noise.
  if (grants.some((g) => g.kind === 'public') && grants.length > 1) {
    throw fail(`"public" already shares with everyone; drop the other grants ("${text}")`);
  }
  const unique = new Map(grants.map((g) => [JSON.stringify(g), g]));
  return [...unique.values()];
}

function checkNamePart(option: 'layer-prefix' | 'layer-names', value: string): void {
  if (!LAYER_NAME_PATTERN.test(value) || value.length > LAYER_NAME_MAX_LENGTH) {
    throw optionError(
      option,
      `"${value}" is not usable in a layer name (letters, digits, "-" and "_", at most ${LAYER_NAME_MAX_LENGTH})`,
    );
  }
}

function parseKindNames(raw: RawOptions): Record<LayerKind, string> {
  const names = Object.fromEntries(LAYER_KINDS.map((kind) => [kind, kind])) as Record<LayerKind, string>;
  for (const item of listOption(raw, 'layer-names')) {
    const match = /^([^=]+)=(.*)$/.exec(item);
    const kind = match?.[1] as LayerKind | undefined;
    if (match === null || kind === undefined || !(LAYER_KINDS as readonly string[]).includes(kind)) {
      throw optionError('layer-names', `"${item}" does not name a layer kind`);
    }
    const name = match[2] ?? '';
    checkNamePart('layer-names', name);
    names[kind] = name;
  }
  return names;
}

function parseBucket(raw: RawOptions): string | undefined {
  const bucket = givenText(raw, 's3-bucket');
  if (bucket === undefined) return undefined;
  // Check the longest real region in place of the placeholder, so every expansion is a valid name.
  const sample = bucket.split(REGION_PLACEHOLDER).join('ap-southeast-5');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(sample) || sample.includes('..')) {
    throw optionError('s3-bucket', `"${bucket}" is not a valid bucket name`);
  }
  return bucket;
}

function parseS3Prefix(raw: RawOptions): string {
  const given = textOption(raw, 's3-prefix');
  const prefix = given.replace(/^\/+/, '');
  const control = [...prefix].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (control || prefix.includes('\\') || prefix.split('/').includes('..')) {
    throw optionError('s3-prefix', `"${given}" has control characters, backslashes or ".." segments`);
  }
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

export function parsePublishOptions(raw: RawOptions): PublishOptions {
  const layerPrefix = textOption(raw, 'layer-prefix');
  checkNamePart('layer-prefix', layerPrefix);
  return {
    outDir: textOption(raw, 'out-dir'),
    regions: parseRegions(raw),
    sharing: parseSharing(raw),
    layerPrefix,
    kindNames: parseKindNames(raw),
    s3Bucket: parseBucket(raw),
    s3Prefix: parseS3Prefix(raw),
    dryRun: booleanOption(raw, 'dry-run'),
  };
}
