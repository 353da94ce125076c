/**
 * The shapes shared by the pipeline and its fronts (CLI, action, publisher).
 * Everything here is data; behaviour lives in the modules named after what they do.
 */

/** The three layers, named as in the original guide. Lambda unpacks every layer into /opt. */
export const LAYER_NAMES = ['r', 'r_lib', 'subsystem'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

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

/** A cache of stage outputs: a local directory for the CLI, GitHub's cache in Actions. */
export interface CacheBackend {
  readonly name: string;
  /** Fill `dir` (which must not exist yet) from the entry `key`; false on a miss. */
  restore(key: string, dir: string): Promise<boolean>;
  /**
   * Store `dir` under `key`. Atomic: an interrupted save leaves no entry.
   * Throws on failure; callers warn and go on (a failed save never fails a build).
   */
  save(key: string, dir: string): Promise<void>;
}

/** Where the finished zips and manifest go besides the output folder. */
export interface ArtifactSink {
  readonly name: string;
  upload(artifactName: string, files: string[], rootDir: string, retentionDays?: number): Promise<void>;
}

export interface LayerRecord {
  name: LayerName;
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
  layers: LayerRecord[];
  host: HostInfo;
  /** Highest GLIBC_x.y symbol version any ELF file in the layers needs; null when none. */
  glibcRequired: string | null;
  lambdaCompatible: boolean;
  warnings: string[];
}
