/**
 * What every part of the project says about layers: their kinds and zip files, Lambda's architectures and limits,
 * the manifest written beside the zips, and the artifact a build uploads. Data only, and it imports nothing, so the
 * workflow scripts (dist/release) can use it without pulling in the pipeline.
 */

/**
 * The three layer kinds, named as in the original blog recipe: the step-by-step post this project replaces, which
 * built R by hand into /opt and zipped it as these three layers (the code says "the original blog recipe" wherever
 * it compares with it). Lambda unpacks every layer into /opt. A published layer's own name
 * (`r-lambda-r-4_5_2-x86_64`) is something else: see publish/.
 */
export const LAYER_KINDS = ['r', 'r_lib', 'subsystem'] as const;
export type LayerKind = (typeof LAYER_KINDS)[number];

/** Each kind's zip, beside manifest.json. */
export const LAYER_FILES: Record<LayerKind, string> = {
  r: 'r.zip',
  r_lib: 'r_lib.zip',
  subsystem: 'subsystem.zip',
};

/** The runtime the layers are built for: Amazon Linux 2023, glibc 2.34 (LAMBDA_LIMITS.glibc). */
export const LAMBDA_RUNTIME = 'provided.al2023';

/**
 * Where things lie in the layer tree, relative to the prefix Lambda unpacks layers into (/opt). R's home is
 * R/lib/R because the build forces LIBnn=lib; the user's packages go to a site-library under local/, as in the
 * original blog recipe.
 */
export const LAYOUT = {
  /** R's home (RHOME). */
  rHome: 'R/lib/R',
  /** R's own library: base and recommended packages, and the runtime's jsonlite. */
  rLibrary: 'R/lib/R/library',
  /** libR.so and R's other shared libraries. */
  rLibDir: 'R/lib/R/lib',
  rscript: 'R/bin/Rscript',
  /** The user's packages (the r_lib layer). */
  siteLibrary: 'local/lib/R/site-library',
  /** Shared libraries: the native stages' and those copied from the build host. */
  lib: 'lib',
  /** The runtime's entry point, which Lambda runs. */
  bootstrap: 'bootstrap',
} as const;

/** The top-level folder of the tree each layer but subsystem holds: R's own tree, and the user's packages. */
export const LAYER_TOP_FOLDERS = {
  r: LAYOUT.rHome.split('/')[0]!,
  r_lib: LAYOUT.siteLibrary.split('/')[0]!,
} satisfies Partial<Record<LayerKind, string>>;

/** Each package library's folder in the tree: R's own, or the user's site-library. */
export const LIBRARY_DIRS: Record<'R' | 'site', string> = { R: LAYOUT.rLibrary, site: LAYOUT.siteLibrary };

/** The manifest written beside the zips. */
export const MANIFEST_FILE = 'manifest.json';

/** Lambda architectures (the names Lambda's API uses). */
export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** Lambda's documented limits for layers. */
export const LAMBDA_LIMITS = {
  /** A zip uploaded directly (ZipFile) to PublishLayerVersion. */
  directUploadZippedBytes: 50 * 1024 * 1024,
  /** The function and all its layers, unzipped. */
  totalUnzippedBytes: 250 * 1024 * 1024,
  /** glibc of the provided.al2023 runtime image. */
  glibc: '2.34',
} as const;

export interface LayerRecord {
  /** The layer's kind (the manifest calls it name). */
  name: LayerKind;
  /** File name beside manifest.json, e.g. r.zip */
  file: string;
  sha256: string;
  zippedBytes: number;
  unzippedBytes: number;
  files: number;
}

/**
 * What a source file's SHA-256 was checked against: pinned, the upstream sum in data/stages.yml; override, the sum
 * given with a per-stage source override; r-sha256, the --r-sha256 option; computed, nothing (recorded, not checked).
 */
export type Sha256Source = 'pinned' | 'override' | 'r-sha256' | 'computed';

export interface StageRecord {
  name: string;
  version: string;
  url: string;
  sha256: string;
  /** What the source file's sum was checked against (see Sha256Source). */
  sha256Source: Sha256Source;
  flags: string[];
  cacheKey: string;
}

export interface RPackageRecord {
  name: string;
  version: string;
  /** 'R' is R's own library (the runtime's jsonlite), 'site' the user's site-library. */
  library: 'R' | 'site';
  /** The DESCRIPTION's License field, as written (R's forms are not SPDX). */
  license?: string;
  /** The DESCRIPTION's Priority: base (part of R) or recommended (shipped with R). */
  priority?: string;
  /** True for the project's own packages (DESCRIPTION `Repository: r-lambda-layer`: the runtime's JSON codec), built
   * from data/, on no package repository. */
  ownPackage?: boolean;
  /** The source tarball it was installed from, and its SHA-256 (packages the build installed itself). */
  url?: string;
  sha256?: string;
}

/** A shared library copied from the build host into lib/, and the OS package that owns it (rpm or dpkg). */
export interface HostLibraryRecord {
  soname: string;
  /** Where ldd found it on the build host. */
  from: string;
  sha256: string;
  /** e.g. libgfortran5 (dpkg) or libgfortran (rpm); null when no package manager claims the file. */
  package: string | null;
  packageVersion: string | null;
  packageArch: string | null;
  /** 'deb' or 'rpm', the package manager that answered. */
  packageType: 'deb' | 'rpm' | null;
}

/** An OS package installed on the build host for the site-library's packages (a -dev package and what it brings). */
export interface SystemPackageRecord {
  name: string;
  version: string;
  arch: string;
  type: 'deb' | 'rpm';
  /** The R packages whose SystemRequirements named it, or "(system-packages)" when the user did. */
  for: string[];
  /** The rules (data/system-requirements/rules.json) that named it. */
  rules: string[];
}

/** One R package's SystemRequirements, and how each part was met. */
export interface SystemRequirementRecord {
  package: string;
  version: string;
  text: string;
  /** `rule → stage NAME`, `rule → toolchain`, or `rule → OS packages`. */
  met: string[];
  /** Parts of the text no rule matches (logged, not an error). */
  unmatched: string[];
}

export interface HostInfo {
  osId: string;
  osVersion: string;
  arch: Architecture;
  glibc: string;
}

/** manifest.json, written beside the zips. Deterministic: the same inputs give the same bytes. */
export interface Manifest {
  schemaVersion: 1;
  tool: { name: 'r-lambda-layer'; version: string };
  rVersion: string;
  architecture: Architecture;
  compatibleRuntimes: string[];
  prefix: string;
  stages: StageRecord[];
  rPackages: RPackageRecord[];
  /** The renv lockfile the site-library was installed from (its SHA-256), or null. */
  lockfile: { sha256: string; rVersion: string | null } | null;
  hostLibraries: HostLibraryRecord[];
  /** The site-library's system requirements on the build host (null: none were resolved, e.g. no packages). */
  systemRequirements?: {
    platform: string;
    osPackages: SystemPackageRecord[];
    packages: SystemRequirementRecord[];
  } | null;
  layers: LayerRecord[];
  host: HostInfo;
  /** Highest GLIBC_x.y symbol version any ELF file in the layers needs; null when none. */
  glibcRequired: string | null;
  lambdaCompatible: boolean;
  warnings: string[];
}

/** The artifact a build uploads: shared by the action (its default name) and the workflow scripts (the matrix). */
export const ARTIFACT_PREFIX = 'r-lambda-layers';

/** `r-lambda-layers-4.5.2-x86_64`: one artifact per R version and architecture. */
export function defaultArtifactName(rVersion: string, architecture: Architecture | string): string {
  return `${ARTIFACT_PREFIX}-${rVersion}-${architecture}`;
}
