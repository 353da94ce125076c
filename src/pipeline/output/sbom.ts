/**
 * The software bill of materials, sbom.cdx.json beside manifest.json: CycloneDX 1.6 JSON. Pure: made from the manifest
 * (what was built, installed and copied) and the recipe's licenses; deterministic like the manifest.
 *
 * Why CycloneDX rather than SPDX 2.3: its components carry hashes and distribution URLs (with their own hashes) as
 * first-class fields and R packages have a package-URL type (pkg:cran), so every part of a layer is one component with
 * where it came from; its official JSON schema ships in a maintained npm package (@cyclonedx/cyclonedx-library), which
 * the tests validate against; and scanners that read it (Dependency-Track, Grype, Trivy) read SPDX too, not always
 * the other way round.
 */
import { sha256 } from '../../util/hash.js';
import {
  LIBRARY_DIRS,
  type HostLibraryRecord,
  type Manifest,
  type RPackageRecord,
  type StageRecord,
  type SystemPackageRecord,
} from '../../layers.js';

export const SBOM_FILE = 'sbom.cdx.json';

interface Hash {
  alg: 'SHA-256';
  content: string;
}
interface Property {
  name: string;
  value: string;
}
interface Component {
  'bom-ref': string;
  type: 'application' | 'library' | 'file';
  name: string;
  /** excluded: used to build the layers, not inside them (the OS packages the R packages were compiled against). */
  scope?: 'excluded';
  version?: string;
  description?: string;
  purl?: string;
  hashes?: Hash[];
  licenses?: ({ expression: string } | { license: { name: string } })[];
  externalReferences?: { type: 'distribution' | 'source-distribution'; url: string; hashes?: Hash[] }[];
  properties?: Property[];
}

export interface CycloneDxBom {
  $schema: string;
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: 1;
  metadata: {
    tools: { components: Component[] };
    component: Component;
    properties: Property[];
  };
  components: Component[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

/** Where each part lies: R/ is r.zip, local/ is r_lib.zip, the rest (native libraries, lib/) subsystem.zip. */
const LAYER_OF = { R: 'r.zip', site: 'r_lib.zip', native: 'subsystem.zip' } as const;
const PROP = 'r-lambda-layer';

const sha = (content: string): Hash[] => [{ alg: 'SHA-256', content }];
/** package-url encoding of a qualifier value (https://github.com/package-url/purl-spec). */
const purlValue = (value: string): string => encodeURIComponent(value).replace(/%2F/g, '/');

function stageComponent(stage: StageRecord, license: string | undefined): Component {
  return {
    'bom-ref': `stage:${stage.name}`,
    type: stage.name === 'R' ? 'application' : 'library',
    name: stage.name,
    version: stage.version,
    purl: `pkg:generic/${stage.name}@${stage.version}?download_url=${purlValue(stage.url)}&checksum=sha256:${stage.sha256}`,
    ...(license ? { licenses: [{ expression: license }] } : {}),
    externalReferences: [{ type: 'source-distribution', url: stage.url, hashes: sha(stage.sha256) }],
    properties: [
      { name: `${PROP}:layer`, value: stage.name === 'R' ? LAYER_OF.R : LAYER_OF.native },
      { name: `${PROP}:sha256-checked-against`, value: stage.sha256Source },
      { name: `${PROP}:configure-flags`, value: stage.flags.join(' ') },
    ],
  };
}

function packageComponent(pkg: RPackageRecord, rVersion: string): Component {
  // Base packages are R itself and the project's own are built from its data/ folder (neither is on CRAN); every
  // other package has a CRAN package URL.
  const base = pkg.priority === 'base';
  return {
    'bom-ref': `r-package:${pkg.library}:${pkg.name}`,
    type: 'library',
    name: pkg.name,
    version: pkg.version,
    ...(base
      ? { description: `Base package of R ${rVersion}` }
      : pkg.ownPackage
        ? { description: `Part of r-lambda-layer, built from its data/${pkg.name} folder` }
        : { purl: `pkg:cran/${pkg.name}@${pkg.version}` }),
    ...(pkg.license ? { licenses: [{ license: { name: pkg.license } }] } : {}),
    ...(pkg.url
      ? {
          externalReferences: [
            {
              type: 'source-distribution' as const,
              url: pkg.url,
              ...(pkg.sha256 ? { hashes: sha(pkg.sha256) } : {}),
            },
          ],
        }
      : {}),
    properties: [
      { name: `${PROP}:layer`, value: LAYER_OF[pkg.library] },
      {
        name: `${PROP}:library`,
        value: LIBRARY_DIRS[pkg.library],
      },
      ...(pkg.priority ? [{ name: `${PROP}:priority`, value: pkg.priority }] : []),
    ],
  };
}

/** package-url namespace per distribution (purl-spec: deb/debian, deb/ubuntu, rpm/amzn, rpm/fedora, …). */
function hostLibraryComponent(lib: HostLibraryRecord, osId: string): Component {
  const purl =
    lib.package && lib.packageVersion && lib.packageType
      ? `pkg:${lib.packageType}/${osId}/${lib.package}@${purlValue(lib.packageVersion)}${lib.packageArch ? `?arch=${lib.packageArch}` : ''}`
      : undefined;
  return {
    'bom-ref': `host-library:${lib.soname}`,
    type: 'library',
    name: lib.soname,
    ...(lib.packageVersion ? { version: lib.packageVersion } : {}),
    description: lib.package
      ? `Copied from the build host (${lib.from}), part of the ${lib.packageType} package ${lib.package}`
      : `Copied from the build host (${lib.from}); no package manager owns it`,
    ...(purl ? { purl } : {}),
    hashes: sha(lib.sha256),
    properties: [
      { name: `${PROP}:layer`, value: LAYER_OF.native },
      { name: `${PROP}:path`, value: `lib/${lib.soname}` },
      { name: `${PROP}:copied-from`, value: lib.from },
      ...(lib.package ? [{ name: `${PROP}:os-package`, value: lib.package }] : []),
    ],
  };
}

/**
 * An OS package installed on the build host for the R packages' SystemRequirements: a build input, not in the layers
 * (the shared libraries the packages need are the host-library components, copied into lib/).
 */
function systemPackageComponent(pkg: SystemPackageRecord, osId: string): Component {
  return {
    'bom-ref': `system-package:${pkg.name}`,
    type: 'library',
    name: pkg.name,
    version: pkg.version,
    scope: 'excluded',
    description: `Installed on the build host (${pkg.type}) to build ${pkg.for.join(', ')}`,
    purl: `pkg:${pkg.type}/${osId}/${pkg.name}@${purlValue(pkg.version)}?arch=${pkg.arch}`,
    properties: [
      { name: `${PROP}:build-requirement-for`, value: pkg.for.join(' ') },
      ...(pkg.rules.length ? [{ name: `${PROP}:system-requirement-rules`, value: pkg.rules.join(' ') }] : []),
    ],
  };
}

/** A UUID made from the layers' sums: the same layers give the same serial number (no randomness, no time). */
function serialNumber(manifest: Manifest): string {
  const hex = sha256(manifest.layers.map((l) => l.sha256).join('\n'));
  // Shaped as a version-4 UUID (RFC 9562 layout), as the schema's pattern asks.
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function buildSbom(
  manifest: Manifest,
  licenses: Readonly<Record<string, string | undefined>>,
): CycloneDxBom {
  const stages = manifest.stages.map((s) => stageComponent(s, licenses[s.name]));
  const packages = manifest.rPackages.map((p) => packageComponent(p, manifest.rVersion));
  const hostLibraries = manifest.hostLibraries.map((l) => hostLibraryComponent(l, manifest.host.osId));
  const layers: Component[] = manifest.layers.map((layer) => ({
    'bom-ref': `layer:${layer.file}`,
    type: 'file',
    name: layer.file,
    hashes: sha(layer.sha256),
    properties: [
      { name: `${PROP}:unzipped-bytes`, value: String(layer.unzippedBytes) },
      { name: `${PROP}:files`, value: String(layer.files) },
    ],
  }));
  const systemPackages = (manifest.systemRequirements?.osPackages ?? []).map((p) =>
    systemPackageComponent(p, manifest.host.osId),
  );
  const parts = [...stages, ...packages, ...hostLibraries];
  const layerOf = (c: Component): string | undefined =>
    c.properties?.find((p) => p.name === `${PROP}:layer`)?.value;
  const root = `r-lambda-layers-${manifest.rVersion}-${manifest.architecture}`;
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: serialNumber(manifest),
    version: 1,
    metadata: {
      tools: {
        components: [
          {
            'bom-ref': 'tool',
            type: 'application',
            name: manifest.tool.name,
            version: manifest.tool.version,
          },
        ],
      },
      component: {
        'bom-ref': root,
        type: 'application',
        name: root,
        version: manifest.rVersion,
        description: `R ${manifest.rVersion} for AWS Lambda (${manifest.compatibleRuntimes.join(', ')}, ${manifest.architecture}) as three layers`,
      },
      properties: [
        {
          name: `${PROP}:build-host`,
          value: `${manifest.host.osId} ${manifest.host.osVersion} (glibc ${manifest.host.glibc})`,
        },
        { name: `${PROP}:glibc-required`, value: manifest.glibcRequired ?? 'none' },
        ...(manifest.lockfile ? [{ name: `${PROP}:renv-lock-sha256`, value: manifest.lockfile.sha256 }] : []),
      ],
    },
    components: [...layers, ...parts, ...systemPackages],
    dependencies: [
      { ref: root, dependsOn: layers.map((l) => l['bom-ref']) },
      ...layers.map((layer) => ({
        ref: layer['bom-ref'],
        dependsOn: parts.filter((p) => layerOf(p) === layer.name).map((p) => p['bom-ref']),
      })),
    ],
  };
}

export const sbomText = (bom: CycloneDxBom): string => JSON.stringify(bom, null, 2) + '\n';
