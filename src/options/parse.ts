/**
 * Reading option values, the same way for every front: the raw values (strings from the action's inputs, strings or
 * lists from the command line), one boolean parser, one list parser, and one error format that names the option,
 * its flag and the accepted form: `packages (--packages): "2bad" is not …; use ….`
 */
import { UserError } from '../errors.js';
import { declaration, flagsOf, type OptionName } from './declarations.js';

/**
 * Option values as the fronts hand them over, keyed by option name. A repeatable flag gives a list; an unset action
 * input reads as '', which means "not given" everywhere.
 */
export type RawOptions = Partial<Record<OptionName, string | readonly string[]>>;

/** The option's command-line flag, e.g. `--out`, or undefined for an input only the action has. */
export function flagOf(name: OptionName): string | undefined {
  return flagsOf(name)[0]?.spec.split(' ')[0];
}

/** How messages name an option: `out-dir (--out)`, or `cache` for an input only the action has. */
export function optionLabel(name: OptionName): string {
  const flag = flagOf(name);
  return flag === undefined ? name : `${name} (${flag})`;
}

/** The one error format: `<name> (<flag>): <problem>; use <accepted>.` */
export function optionError(
  name: OptionName,
  problem: string,
  accepted: string = declaration(name).accepted,
  options?: ErrorOptions,
): UserError {
  return new UserError(`${optionLabel(name)}: ${problem}; use ${accepted}.`, options);
}

/** The text given, trimmed, or undefined when not given (absent or blank). A list is read one item per line. */
export function givenText(raw: RawOptions, name: OptionName): string | undefined {
  const value = raw[name];
  const text = (typeof value === 'string' ? value : (value ?? []).join('\n')).trim();
  return text === '' ? undefined : text;
}

/** The text given, or the declared default ('' when the option has none). */
export function textOption(raw: RawOptions, name: OptionName): string {
  return givenText(raw, name) ?? declaration(name).default ?? '';
}

/** Booleans as YAML 1.2's core schema writes them: 'yes' or 'on' are more likely typos than intent. */
export function booleanOption(raw: RawOptions, name: OptionName): boolean {
  const value = textOption(raw, name);
  if (value === '' || ['false', 'False', 'FALSE'].includes(value)) return false;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  throw optionError(name, `"${value}" is not a boolean`, 'true or false');
}

/** A list: items separated by commas, whitespace or new lines (so YAML block scalars work in the action too). */
export function listOption(raw: RawOptions, name: OptionName): string[] {
  return splitList(textOption(raw, name));
}

export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== '');
}

/** One item per line (a repeatable flag's values, or a multi-line input); blank lines dropped. */
export function lineOption(raw: RawOptions, name: OptionName): string[] {
  const value = raw[name];
  const lines = typeof value === 'string' ? value.split(/\r?\n/) : [...(value ?? [])];
  return lines.filter((line) => line.trim() !== '');
}
