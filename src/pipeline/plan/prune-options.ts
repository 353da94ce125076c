/**
 * The prune switches, declared once: each one's action input (and so its `--no-<input>` flag) and description, and
 * the defaults. The options (src/options/declarations.ts, and so action.yml and the CLI's flags), the parser
 * (plan/options.ts) and the rules (tree/prune.ts, each naming the switch that turns it on) are derived from this
 * table. It is apart from the engine in tree/prune.ts: the options, and the workflow scripts that read them
 * (dist/release), need the switches, not the code that strips and removes files.
 *
 * A new prune step: its switch here, and its rule in tree/prune.ts.
 */
export const PRUNE_SWITCHES = {
  /** tcltk and every translation except English (the original blog recipe's step). */
  translations: {
    input: 'prune-translations',
    description: 'Remove every translation except English, and the tcltk package: true or false.',
  },
  /** Strip symbols from ELF files. */
  strip: { input: 'prune-strip', description: 'Strip debug symbols from every ELF file: true or false.' },
  /** R's manuals, share/doc, share/info, gtk-doc (openssl's html docs live in share/doc). */
  docs: {
    input: 'prune-docs',
    description: "Remove R's doc/manual and other documentation folders: true or false.",
  },
  manPages: { input: 'prune-man-pages', description: 'Remove man pages: true or false.' },
  /** `*.a` and libtool `*.la` files: nothing links at run time. */
  staticLibs: {
    input: 'prune-static-libs',
    description: 'Remove static libraries (*.a, *.la): true or false.',
  },
  /** Installed packages' html, doc (vignettes), tests and demo folders. */
  packageExtras: {
    input: 'prune-package-extras',
    description: "Remove packages' html, doc, tests and demo folders: true or false.",
  },
  /** Packages' help databases: `?topic` stops working; packages still load. */
  help: {
    input: 'prune-help',
    description: "Remove packages' help databases (help() is rarely used on Lambda): true or false.",
  },
  /** C headers: only needed to compile against the tree, which happens before pruning. */
  headers: {
    input: 'prune-headers',
    description: 'Remove C headers (include/) that only building against the layer needs: true or false.',
  },
} as const;

export type PruneSwitch = keyof typeof PRUNE_SWITCHES;
/** A switch's action input, e.g. prune-man-pages. */
export type PruneInput = (typeof PRUNE_SWITCHES)[PruneSwitch]['input'];

/** Which prune steps run: every switch, on or off. */
export type PruneOptions = Record<PruneSwitch, boolean>;

export const PRUNE_SWITCH_NAMES = Object.keys(PRUNE_SWITCHES) as PruneSwitch[];

/** Every step on: the default. */
export const DEFAULT_PRUNE: PruneOptions = Object.fromEntries(
  PRUNE_SWITCH_NAMES.map((name) => [name, true]),
) as PruneOptions;
