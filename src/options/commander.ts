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
  const values = new Map<OptionName, string[]>();
  const lists = new Set<OptionName>();
  for (const [name, , flag] of flagsIn(scope)) {
    if (flag.repeatable) lists.add(name);
    const value = parsed[new Option(flag.spec).attributeName()];
    let given: string[];
    if (value === undefined) continue;
    else if (typeof value === 'boolean') {
      // A switch: `--dry-run` sets true; `--no-toolchain` sets false and is true (the default) when absent.
      if (negated(flag) ? value : !value) continue;
      given = [String(value)];
    } else if (Array.isArray(value)) given = value.map(String);
    else if (flag.readsFile) given = [readOptionFile(name, flag, String(value))];
    else given = [String(value)];
    values.set(name, [...(values.get(name) ?? []), ...given]);
  }
  return Object.fromEntries(
    [...values].map(([name, list]) => [name, list.length === 1 && !lists.has(name) ? list[0] : list]),
  ) as RawOptions;
}

function readOptionFile(name: OptionName, flag: Flag, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    // Named by this flag rather than the option's first one: the file is what could not be read.
    throw new UserError(
      `${name} (${flag.spec.split(' ')[0]}): cannot read ${file} (${(error as Error).message}); use ${flag.help ?? 'a readable file'}.`,
    );
  }
}
