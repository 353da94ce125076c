/**
 * Every option of the CLI and the action, declared once: its name (the action.yml input name, kebab-case), what it
 * means, its default, the accepted form quoted in error messages, where it is read, and its command-line flag when
 * that is not simply `--name`. The commander flags (options/commander.ts), the action's input reading
 * (action/inputs.ts) and action.yml's inputs (action/action-yml.ts) are all derived from this table.
 *
 * Adding an option: one entry here, and its parsing where the scope's options are parsed (pipeline/plan/options.ts for
 * build, publish/options.ts for publish, action/inputs.ts for the action's own, runtime/options.ts for invoke and
 * serve). action.yml is generated from this table by `npm run build` (src/action/action-yml.ts); a unit test fails
 * until it is. Prune switches are declared in pipeline/plan/prune-options.ts and become options here.
 */
import { DEFAULTS as LAMBDA_DEFAULTS } from '../runtime/lambda-environment.js';
import { PRUNE_SWITCHES, type PruneInput } from '../pipeline/plan/prune-options.js';

/**
 * Where an option is read: 'action' makes it an input of the action (action.yml); 'build', 'publish', 'invoke' and
 * 'serve' give it a flag on that command.
 */
export type Scope = 'action' | 'build' | 'publish' | 'invoke' | 'serve';

export interface Flag {
  /** As commander writes it: `--out <dir>`, `--dry-run`, `--no-toolchain` (a switch that turns a default of true off). */
  spec: string;
  /** The help line, when it must differ from the option's description. */
  help?: string;
  /** Given several times, every value is kept, in order. */
  repeatable?: true;
  /** The value is a file whose text is read as the option's value. */
  readsFile?: true;
}

export interface OptionDeclaration {
  /** action.yml's description for an action input; the help line of the flag otherwise (unless the flag has its own). */
  description: string;
  /** The value when the option is not given, as action.yml writes it. None: the description says what happens. */
  default?: string;
  /** What a valid value looks like, ending every error message about this option ("…; use <accepted>."). */
  accepted: string;
  scope: readonly Scope[];
  /** Command-line flags; without it the option is `--<name> <value>` on the commands of its scope. */
  flags?: readonly Flag[];
  /** The command refuses to run without it. */
  required?: true;
}

const BOOLEAN = 'true or false';
const BUILD = ['action', 'build'] as const;
const PUBLISH = ['action', 'publish'] as const;
const RUNTIME = ['invoke', 'serve'] as const;

/** A prune switch: on by default; `--no-prune-<step>` on the command line keeps what the step removes. */
const prune = (input: PruneInput, description: string) =>
  ({
    description,
    default: 'true',
    accepted: BOOLEAN,
    scope: BUILD,
    flags: [
      { spec: `--no-${input}`, help: `keep what the "${input.replace(/^prune-/, '')}" prune step removes` },
    ],
  }) as const;

/** One option per prune switch (pipeline/plan/prune-options.ts), in the switches' order. */
const PRUNE_OPTIONS = Object.fromEntries(
  Object.values(PRUNE_SWITCHES).map(({ input, description }) => [input, prune(input, description)]),
) as Record<PruneInput, ReturnType<typeof prune>>;

export const OPTIONS = {
  // --- What to build -------------------------------------------------------------------------------------------
  'r-version': {
    description:
      'R version to build: an exact version such as 4.5.2 (R 4.0.0 or later), or "release" for the newest R on CRAN.',
    default: 'release',
    accepted: 'an exact version such as 4.4.1, or "release" for CRAN\'s newest',
    scope: BUILD,
    flags: [{ spec: '--r-version <version>' }],
  },
  'r-sha256': {
    description:
      "SHA-256 of R's source tarball, for an R version that has no pinned checksum. Default: none (the computed sum is logged and recorded in manifest.json).",
    accepted: '64 hexadecimal characters',
    scope: BUILD,
    flags: [{ spec: '--r-sha256 <hex>' }],
  },
  packages: {
    description:
      'R packages for the r_lib layer (site-library), separated by commas, spaces or new lines; NAME@VERSION for an exact version (e.g. jsonlite@1.8.4); "none" for none. Default: aws.s3, or none with a lockfile.',
    accepted:
      'R package names (letters, digits and dots, starting with a letter), each optionally with @VERSION (e.g. jsonlite@1.8.4), separated by commas or spaces',
    scope: BUILD,
    flags: [{ spec: '--packages <names>' }],
  },
  lockfile: {
    description:
      "An renv.lock (path in the workspace): install exactly its CRAN-like records, at their versions, into the r_lib layer. Older versions come from the repository's src/contrib/Archive/ or from the lock's own repository URL. Default: none.",
    accepted: 'the path of an renv.lock written by renv::snapshot()',
    scope: BUILD,
    flags: [{ spec: '--lockfile <file>' }],
  },
  'system-packages': {
    description:
      "OS packages to install with the host's package manager (dnf or apt-get) before the R packages are built, separated by commas, spaces or new lines; added to those the packages' SystemRequirements resolve to. Default: none.",
    accepted: 'OS package names such as libsodium-devel or libpng-dev, separated by commas or spaces',
    scope: BUILD,
    flags: [{ spec: '--system-packages <names>' }],
  },
  'extra-stages': {
    description:
      "A YAML file of native stages to build from source into the prefix after R (data/stages.yml's schema: name, version, url, sha256, license, provides, dependsOn, flags, commands), for libraries the host's distribution lacks; the R packages compile against them. Default: none.",
    accepted: 'the path of a YAML file with a `stages:` list (see examples/extra-stages/)',
    scope: BUILD,
    flags: [{ spec: '--extra-stages <file>' }],
  },
  'cran-repo': {
    description: 'CRAN-like repository the packages come from: https://... or file:///path.',
    default: 'https://cloud.r-project.org',
    accepted: 'https://… or file:///path/to/repo',
    scope: BUILD,
    flags: [{ spec: '--cran-repo <url>' }],
  },
  prefix: {
    description:
      'Where the layers live at run time. Lambda unpacks layers in /opt; change it only for tests.',
    default: '/opt',
    accepted: '/opt, where Lambda unpacks layers (another absolute folder only for tests)',
    scope: BUILD,
    flags: [{ spec: '--prefix <dir>' }],
  },
  'out-dir': {
    description:
      'Folder for r.zip, r_lib.zip, subsystem.zip, manifest.json and sbom.cdx.json, relative to the working directory.',
    default: 'layers',
    accepted: 'a folder',
    // The publisher reads it too: the CLI's `publish --out`, and in the action the folder this run built.
    scope: ['action', 'build', 'publish'],
    flags: [{ spec: '--out <dir>' }],
  },
  'cache-dir': {
    description:
      "Folder for the stage cache. Default: none in GitHub Actions (stages go to GitHub's cache), and ~/.cache/r-lambda-layer/cache outside Actions. When set in Actions, stages are cached there instead of in GitHub's cache (useful on self-hosted runners with a persistent disk).",
    accepted: 'a folder',
    scope: BUILD,
    flags: [
      {
        spec: '--cache-dir <dir>',
        help: 'stage cache folder (default: ~/.cache/r-lambda-layer/cache, or $R_LAMBDA_LAYER_HOME/cache)',
      },
    ],
  },
  'work-dir': {
    description:
      'Scratch folder for sources, staging folders and build logs. Default: ~/.cache/r-lambda-layer/work.',
    accepted: 'a folder',
    scope: BUILD,
    flags: [
      {
        spec: '--work-dir <dir>',
        help: 'scratch folder: sources, staging, logs (default: ~/.cache/r-lambda-layer/work, or $R_LAMBDA_LAYER_HOME/work)',
      },
    ],
  },
  'source-mirror': {
    description:
      'Folder or URL where source tarballs are looked up by their upstream file name before downloading. Default: none (upstream URLs).',
    accepted: 'a folder or a URL',
    scope: BUILD,
    flags: [{ spec: '--source-mirror <dir|url>' }],
  },
  'source-overrides': {
    description:
      'Per-stage sources, one per line: NAME=PATH_OR_URL,sha256=HEX[,version=X.Y.Z] (NAME is a stage of data/stages.yml: zlib, openssl, curl, bzip2, xz, pcre2, libxml2, R). Default: none.',
    accepted: 'NAME=PATH_OR_URL,sha256=HEX[,version=X.Y.Z]',
    scope: BUILD,
    flags: [
      {
        spec: '--override <spec>',
        help: 'per-stage source: NAME=PATH_OR_URL,sha256=HEX[,version=X.Y.Z]',
        repeatable: true,
      },
      {
        spec: '--overrides-file <file>',
        help: 'a file of overrides, one per line (as written by scripts/fill-mirror.sh)',
        readsFile: true,
      },
    ],
  },
  jobs: {
    description: 'Parallel make jobs (1 to 256). Default: the number of CPU cores.',
    accepted: 'a whole number from 1 to 256',
    scope: BUILD,
    flags: [{ spec: '--jobs <n>' }],
  },
  'install-toolchain': {
    description:
      'Install the build toolchain (gcc, gfortran, make, tar, gzip, ...) with dnf before anything else: true or false.',
    default: 'true',
    accepted: BOOLEAN,
    scope: BUILD,
    flags: [{ spec: '--no-toolchain', help: 'do not install the build toolchain with dnf/apt-get' }],
  },
  'recommended-packages': {
    description:
      'Build R with its recommended packages (MASS, Matrix, lattice, survival, …) in r.zip: true or false. false configures R --without-recommended-packages (as r-hub/r-minimal does) for a smaller r.zip; a package that needs one of them then installs it from the CRAN repository into the r_lib layer.',
    default: 'true',
    accepted: BOOLEAN,
    scope: BUILD,
    flags: [
      {
        spec: '--no-recommended-packages',
        help: 'build R without its recommended packages (a package that needs one gets it from CRAN in r_lib)',
      },
    ],
  },
  ...PRUNE_OPTIONS,

  // --- Cache and artifact (the action's own) ---------------------------------------------------------------------
  cache: {
    description:
      "Cache every build stage (GitHub's cache in Actions; a local folder elsewhere): true or false. false builds everything from source and stores nothing.",
    default: 'true',
    accepted: BOOLEAN,
    scope: ['action'],
  },
  'artifact-name': {
    description:
      'Name of the artifact holding the three zips, manifest.json and sbom.cdx.json. Default: r-lambda-layers-<R version>-<architecture>, e.g. r-lambda-layers-4.5.2-x86_64.',
    accepted:
      'up to 256 characters without " : < > | * ? \\ / \' or line breaks, or leave it empty for the default (r-lambda-layers-<R version>-<architecture>)',
    scope: ['action'],
  },
  'retention-days': {
    description: "Days to keep the artifact (1 to 90). Default: the repository's retention setting.",
    accepted: "a whole number from 1 to 90, or leave it empty for the repository's setting",
    scope: ['action'],
  },
  'allow-any-host': {
    description:
      'Build even when the job does not run in amazonlinux:2023 (for tests only: such layers may not load on Lambda): true or false.',
    default: 'false',
    accepted: BOOLEAN,
    scope: ['action'],
  },

  // --- Publishing ------------------------------------------------------------------------------------------------
  publish: {
    description:
      'Publish the layers to AWS Lambda after the build (needs AWS credentials, e.g. from aws-actions/configure-aws-credentials): true or false.',
    default: 'false',
    accepted: BOOLEAN,
    scope: ['action'],
  },
  regions: {
    description:
      'When publishing: AWS regions, separated by commas, e.g. us-east-1,eu-west-1. Required with publish: true.',
    accepted: 'a comma-separated list of AWS regions such as us-east-1,eu-west-1',
    scope: PUBLISH,
    flags: [
      {
        spec: '--regions <list>',
        help: 'comma-separated regions to publish to, e.g. us-east-1,eu-west-1 (required)',
      },
    ],
  },
  sharing: {
    description:
      'When publishing: who may use the layers: private, public, account:123456789012, organization:o-xxxxxxxxxx (several accounts or organizations separated by commas).',
    default: 'private',
    accepted:
      'private | public | account:123456789012 | organization:o-xxxxxxxxxx, or several accounts and organizations separated by commas',
    scope: PUBLISH,
    flags: [
      {
        spec: '--sharing <who>',
        help: 'private | public | account:123456789012 | organization:o-xxxxxxxxxx; several accounts or organizations separated by commas',
      },
    ],
  },
  'layer-prefix': {
    description: 'When publishing: first part of every layer name (letters, digits, - and _).',
    default: 'r-lambda',
    accepted: 'letters, digits, "-" and "_", e.g. my-team-r',
    scope: PUBLISH,
    flags: [{ spec: '--layer-prefix <prefix>', help: 'first part of every layer name' }],
  },
  'layer-names': {
    description:
      'When publishing: rename the layer kinds, e.g. r=R,r_lib=packages,subsystem=system. Default: the kinds r, r_lib, subsystem.',
    accepted: 'kind=name pairs for the kinds r, r_lib, subsystem, e.g. r=R,r_lib=packages,subsystem=system',
    scope: PUBLISH,
    flags: [
      { spec: '--layer-names <map>', help: 'rename layer kinds, e.g. r=R,r_lib=packages,subsystem=system' },
    ],
  },
  's3-bucket': {
    description:
      'When publishing: S3 bucket for zips over 50 MB, in the region published to; {region} is replaced by each region. Default: none (a zip over 50 MB is then an error).',
    accepted:
      'an S3 bucket name (3-63 lowercase letters, digits, "." and "-"), optionally with {region} for one bucket per region, e.g. my-layers-{region}',
    scope: PUBLISH,
    flags: [
      {
        spec: '--s3-bucket <bucket>',
        help: 'bucket for zips over 50 MB, in the region published to; {region} is replaced by each region',
      },
    ],
  },
  's3-prefix': {
    description: 'When publishing: key prefix for uploaded zips.',
    default: 'r-lambda-layer/',
    accepted: 'a key prefix such as layers/ or builds/r/',
    scope: PUBLISH,
    flags: [{ spec: '--s3-prefix <prefix>', help: 'key prefix for uploaded zips' }],
  },
  'dry-run': {
    description: 'When publishing: print what would be published and make no AWS call: true or false.',
    default: 'false',
    accepted: BOOLEAN,
    scope: PUBLISH,
    flags: [{ spec: '--dry-run', help: 'print what would be published and make no API call' }],
  },

  // --- Command line only -----------------------------------------------------------------------------------------
  verbose: {
    description: 'more detail: every command and the plan when building, upload progress when publishing',
    default: 'false',
    accepted: BOOLEAN,
    scope: ['build', 'publish'],
    flags: [{ spec: '--verbose' }],
  },
  'task-root': {
    description: "folder holding the handler's code (/var/task on Lambda)",
    default: '.',
    accepted: "the folder holding the handler's .R file",
    scope: RUNTIME,
    flags: [{ spec: '--task-root <dir>' }],
  },
  handler: {
    description: 'the _HANDLER setting, e.g. hello.handler for hello.R',
    accepted: 'file.function, e.g. hello.handler for a function "handler" in hello.R',
    scope: RUNTIME,
    flags: [{ spec: '--handler <file.function>' }],
    required: true,
  },
  timeout: {
    description: 'function timeout in seconds',
    default: String(LAMBDA_DEFAULTS.timeoutSeconds),
    accepted: "a number of seconds, more than 0 and at most 900 (Lambda's maximum)",
    scope: RUNTIME,
    flags: [{ spec: '--timeout <seconds>' }],
  },
  memory: {
    description: 'memory size in MB reported to the function',
    default: String(LAMBDA_DEFAULTS.memoryMb),
    accepted: 'a whole number of MB from 128 to 10240, as on Lambda',
    scope: RUNTIME,
    flags: [{ spec: '--memory <mb>' }],
  },
  opt: {
    description:
      'an unpacked layer tree (the three zips extracted into one folder) to run instead of this package',
    accepted:
      'the folder where the layer zips were extracted together (it holds bootstrap, runtime.R and R/)',
    scope: RUNTIME,
    flags: [{ spec: '--opt <dir>' }],
  },
  rscript: {
    description: 'the Rscript to run (R_LAMBDA_RSCRIPT); default: Rscript on PATH unless --opt is given',
    accepted: 'the path of an Rscript, e.g. /usr/bin/Rscript',
    scope: RUNTIME,
    flags: [{ spec: '--rscript <path>' }],
  },
  'function-name': {
    description: 'AWS_LAMBDA_FUNCTION_NAME; default: the task root folder name',
    accepted: 'a function name',
    scope: RUNTIME,
    flags: [{ spec: '--function-name <name>' }],
  },
  region: {
    description: 'AWS_REGION',
    default: LAMBDA_DEFAULTS.region,
    accepted: 'an AWS region such as us-east-1',
    scope: RUNTIME,
    flags: [{ spec: '--region <region>' }],
  },
  env: {
    description: 'an environment variable for the function',
    accepted: 'KEY=VALUE with KEY a variable name (letters, digits, _)',
    scope: RUNTIME,
    flags: [{ spec: '--env <KEY=VALUE>', repeatable: true }],
  },
  'max-concurrency': {
    description:
      'run as on Lambda Managed Instances: up to N invocations at once in one runtime (AWS_LAMBDA_MAX_CONCURRENCY; JSON logs by default)',
    accepted: 'a whole number of concurrent invocations from 1 to 1024',
    scope: RUNTIME,
    flags: [{ spec: '--max-concurrency <n>' }],
  },
  'log-format': {
    description: 'AWS_LAMBDA_LOG_FORMAT; default: Text, or JSON with --max-concurrency',
    accepted: 'Text or JSON',
    scope: RUNTIME,
    flags: [{ spec: '--log-format <format>' }],
  },
  'log-level': {
    description: "AWS_LAMBDA_LOG_LEVEL, the function's application log level (JSON log format only)",
    accepted: 'TRACE, DEBUG, INFO, WARN, ERROR or FATAL',
    scope: RUNTIME,
    flags: [{ spec: '--log-level <level>' }],
  },
  event: {
    description: 'the event JSON file, or - for stdin (default: {})',
    accepted: 'a JSON file, or - for stdin',
    scope: ['invoke'],
    flags: [{ spec: '--event <file>' }],
  },
  port: {
    description: 'port on 127.0.0.1 (0: any free port)',
    default: '9000',
    accepted: 'a port number from 0 (any free port) to 65535',
    scope: ['serve'],
    flags: [{ spec: '--port <port>' }],
  },
} as const satisfies Record<string, OptionDeclaration>;

export type OptionName = keyof typeof OPTIONS;

/** The names of the options read in a scope, e.g. OptionIn<'publish'>. */
export type OptionIn<S extends Scope> = {
  [K in OptionName]: S extends (typeof OPTIONS)[K]['scope'][number] ? K : never;
}[OptionName];

/** The options read in a scope, in declaration order (which is action.yml's order). */
export function optionsIn<S extends Scope>(scope: S): OptionIn<S>[] {
  return (Object.keys(OPTIONS) as OptionName[]).filter((name) =>
    (OPTIONS[name].scope as readonly Scope[]).includes(scope),
  ) as OptionIn<S>[];
}

export function declaration(name: OptionName): OptionDeclaration {
  return OPTIONS[name];
}

/** The option's command-line flags: as declared, or `--<name> <value>` when a command reads it. */
export function flagsOf(name: OptionName): readonly Flag[] {
  const declared = declaration(name);
  if (declared.flags) return declared.flags;
  return declared.scope.some((scope) => scope !== 'action') ? [{ spec: `--${name} <value>` }] : [];
}
