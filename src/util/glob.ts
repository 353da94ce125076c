/**
 * Globs over '/'-separated paths, the one syntax both the prune rules (paths relative to the prefix) and the
 * allowlist of Lambda's libraries (sonames, which never contain '/') are written in:
 *
 * - `*` any run of characters within one path segment (never '/');
 * - `?` one character other than '/';
 * - `**` followed by '/' zero or more whole segments; `**` elsewhere (at the end) anything, '/' included;
 * - every other character stands for itself.
 *
 * The pattern is anchored: it must match the whole path.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        out += '(?:[^/]+/)*';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
