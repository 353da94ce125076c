/**
 * The command-line flags, derived from the option table: `addOptionFlags(command, 'build')` adds every flag of the
 * build options, and `optionsFromFlags(command.opts(), 'build')` turns what commander parsed back into the raw
 * values the action hands over too, so one parser reads both. Defaults are shown in the help but applied by the
 * parsers, never by commander.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  declaration,
  flagsOf,
  optionsIn,
  type Flag,
  type OptionDeclaration,
  type OptionName,
} from './declarations.js';
import { UserError } from '../errors.js';
import type { RawOptions } from './parse.js';

type CommandScope = 'build' | 'publish' | 'invoke' | 'serve';

function flagsIn(scope: CommandScope): [OptionName, OptionDeclaration, Flag][] {
  return optionsIn(scope).flatMap((name) => {
    const declared = declaration(name);
    return flagsOf(name).map((flag): [OptionName, OptionDeclaration, Flag] => [name, declared, flag]);
  });
}

/** `--no-x` turns an option that defaults to true off. */
const negated = (flag: Flag): boolean => flag.spec.startsWith('--no-');

function helpLine(declared: OptionDeclaration, flag: Flag): string {
  const parts = [flag.help ?? declared.description];
  // A switch (`--dry-run`, `--no-toolchain`) says in its help what it does; only a flag with a value shows a default.
  if (declared.default !== undefined && flag.spec.includes('<')) parts.push(`(default: ${declared.default})`);
  if (flag.repeatable) parts.push('(repeatable)');
  return parts.join(' ');
}

export function addOptionFlags(command: Command, scope: CommandScope): Command {
  for (const [, declared, flag] of flagsIn(scope)) {
    const option = new Option(flag.spec, helpLine(declared, flag));
    if (flag.repeatable) option.argParser((value: string, previous: string[] = []) => [...previous, value]);
    if (declared.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  return command;
}

/** What commander parsed (`command.opts()`), as raw option values keyed by option name. */
export function optionsFromFlags(parsed: Record<string, unknown>, scope: CommandScope): RawOptions {
  const raw: Record<string, string | string[]> = {};
  for (const [name, , flag] of flagsIn(scope)) {
    const given = flagValues(name, flag, parsed[new Option(flag.spec).attributeName()]);
    if (given === undefined) continue;
    const earlier = raw[name];
    // A repeatable flag, or two flags of one option (--override and --overrides-file), give a list.
    raw[name] = earlier !== undefined ? [...earlier, ...given] : flag.repeatable ? given : (given[0] ?? '');
  }
  return raw as RawOptions;
}

/** One flag's value(s) as text; undefined when the flag was not given. */
function flagValues(name: OptionName, flag: Flag, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  // A switch: `--dry-run` is true when given; `--no-toolchain` is false when given, and true when absent.
  if (typeof value === 'boolean') return value === negated(flag) ? undefined : [String(value)];
  if (Array.isArray(value)) return value.map(String);
  return [flag.readsFile ? readOptionFile(name, flag, String(value)) : String(value)];
}

function readOptionFile(name: OptionName, flag: Flag, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    // Named by this flag rather than the option's first one: the file is what could not be read.
    throw new UserError(
      `${name} (${flag.spec.split(' ')[0]}): cannot read ${file} (${(error as Error).message}); use ${flag.help ?? 'a readable file'}.`,
      { cause: error },
    );
  }
}
