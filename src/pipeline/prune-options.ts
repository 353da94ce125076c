/**
 * The prune switches and their defaults, apart from the engine in prune.ts: the options (and the workflow scripts
 * that read them, dist/release) need the switches, not the code that strips and removes files.
 */
export interface PruneOptions {
  /** tcltk and every translation except English (the original blog recipe's step). */
  translations: boolean;
  /** Strip symbols from ELF files. */
  strip: boolean;
  /** R's manuals, share/doc, share/info, gtk-doc (openssl's html docs live in share/doc). */
  docs: boolean;
  manPages: boolean;
  /** `*.a` and libtool `*.la` files: nothing links at run time. */
  staticLibs: boolean;
  /** Installed packages' html, doc (vignettes), tests and demo folders. */
  packageExtras: boolean;
  /** Packages' help databases: `?topic` stops working; packages still load. */
  help: boolean;
  /** C headers: only needed to compile against the tree, which happens before pruning. */
  headers: boolean;
}

export const DEFAULT_PRUNE: PruneOptions = {
  translations: true,
  strip: true,
  docs: true,
  manPages: true,
  staticLibs: true,
  packageExtras: true,
  help: true,
  headers: true,
};
