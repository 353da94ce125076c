import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { UserError } from '../../../src/errors.js';
import { addOptionFlags, optionsFromFlags } from '../../../src/options/commander.js';
import {
  declaration,
  flagsOf,
  OPTIONS,
  optionsIn,
  type OptionName,
} from '../../../src/options/declarations.js';
import {
  booleanOption,
  listOption,
  optionError,
  optionLabel,
  textOption,
} from '../../../src/options/parse.js';

/** Parse argv with the flags of a command and hand back the raw option values, as the commands do. */
async function flags(scope: 'build' | 'publish' | 'invoke' | 'serve', argv: string[]) {
  const command = addOptionFlags(new Command(scope), scope)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .action(() => undefined);
  await command.parseAsync(argv, { from: 'user' });
  return optionsFromFlags(command.opts(), scope);
}

describe('the option table', () => {
  it('gives every option a description, an accepted form and a scope', () => {
    for (const [name, declared] of Object.entries(OPTIONS)) {
      expect([name, declared.description.length > 5, declared.accepted.length > 3]).toEqual([
        name,
        true,
        true,
      ]);
      expect(declared.scope.length).toBeGreaterThan(0);
    }
  });

  it('gives every option read by a command a flag, and no flag twice on one command', () => {
    for (const scope of ['build', 'publish', 'invoke', 'serve'] as const) {
      const specs = optionsIn(scope).flatMap((name) => {
        expect([name, flagsOf(name).length > 0]).toEqual([name, true]);
        return flagsOf(name).map((f) => f.spec.split(' ')[0]);
      });
      expect(new Set(specs).size).toBe(specs.length);
    }
    expect(flagsOf('cache')).toEqual([]);
  });

  it('gives a switch that turns an option off only to options that default to true', () => {
    for (const name of Object.keys(OPTIONS) as OptionName[]) {
      const declared = declaration(name);
      if (declared.flags?.some((f) => f.spec.startsWith('--no-')))
        expect([name, declared.default]).toEqual([name, 'true']);
    }
  });
});

describe('one error format', () => {
  it('names the option, its flag and the accepted form', () => {
    const error = optionError('packages', '"2bad" is not a valid R package name');
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /^packages \(--packages\): "2bad" is not a valid R package name; use R package names .*\.$/,
    );
    expect(optionLabel('out-dir')).toBe('out-dir (--out)');
    expect(optionLabel('install-toolchain')).toBe('install-toolchain (--no-toolchain)');
    expect(optionLabel('source-overrides')).toBe('source-overrides (--override)');
    // An input only the action has is named alone.
    expect(optionError('retention-days', '"0" is not a number of days').message).toBe(
      `retention-days: "0" is not a number of days; use a whole number from 1 to 90, or leave it empty for the repository's setting.`,
    );
  });
});

describe('one boolean parser and one list parser', () => {
  it('reads YAML 1.2 core booleans, falling back to the declared default', () => {
    expect(booleanOption({}, 'cache')).toBe(true);
    expect(booleanOption({ cache: ' ' }, 'cache')).toBe(true);
    expect(booleanOption({ cache: 'False' }, 'cache')).toBe(false);
    expect(booleanOption({}, 'dry-run')).toBe(false);
    expect(booleanOption({ 'dry-run': 'TRUE' }, 'dry-run')).toBe(true);
    for (const typo of ['yes', 'on', '1', 'tru']) {
      expect(() => booleanOption({ 'dry-run': typo }, 'dry-run')).toThrow(
        `dry-run (--dry-run): "${typo}" is not a boolean; use true or false.`,
      );
    }
  });

  it('splits lists on commas, whitespace and new lines, from text or from repeated flags', () => {
    expect(listOption({ regions: ' us-east-1, eu-west-1\nap-south-1 ' }, 'regions')).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-south-1',
    ]);
    expect(listOption({ regions: ['us-east-1', 'eu-west-1,eu-west-2'] }, 'regions')).toEqual([
      'us-east-1',
      'eu-west-1',
      'eu-west-2',
    ]);
    expect(listOption({}, 'sharing')).toEqual(['private']);
  });

  it('reads text trimmed, with the declared default for an unset or empty value', () => {
    expect(textOption({}, 'cran-repo')).toBe('https://cloud.r-project.org');
    expect(textOption({ 'cran-repo': '' }, 'cran-repo')).toBe('https://cloud.r-project.org');
    expect(textOption({ 'cran-repo': ' file:///srv/cran ' }, 'cran-repo')).toBe('file:///srv/cran');
    expect(textOption({}, 'jobs')).toBe('');
  });
});

describe('command-line flags from the table', () => {
  it('leaves unset flags out, so the parsers apply the declared defaults', async () => {
    expect(await flags('build', [])).toEqual({});
    expect(await flags('publish', [])).toEqual({});
  });

  it('maps flags onto option names: renamed, switched off, repeated and read from a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flags-'));
    const file = path.join(dir, 'overrides.txt');
    writeFileSync(file, 'xz=/m/xz.tgz,sha256=abc\n');
    expect(
      await flags('build', [
        '--r-version',
        '4.4.1',
        '--out',
        'here',
        '--no-toolchain',
        '--no-recommended-packages',
        '--no-prune-help',
        '--override',
        'zlib=/m/zlib.tgz,sha256=abc',
        '--override',
        'curl=/m/curl.tgz,sha256=abc',
        '--overrides-file',
        file,
        '--verbose',
      ]),
    ).toEqual({
      'r-version': '4.4.1',
      'out-dir': 'here',
      'install-toolchain': 'false',
      'recommended-packages': 'false',
      'prune-help': 'false',
      'source-overrides': [
        'zlib=/m/zlib.tgz,sha256=abc',
        'curl=/m/curl.tgz,sha256=abc',
        'xz=/m/xz.tgz,sha256=abc\n',
      ],
      verbose: 'true',
    });
    expect(await flags('publish', ['--out', 'l', '--regions', 'us-east-1', '--dry-run'])).toEqual({
      'out-dir': 'l',
      regions: 'us-east-1',
      'dry-run': 'true',
    });
    expect(await flags('invoke', ['--handler', 'a.b', '--env', 'A=1'])).toEqual({
      handler: 'a.b',
      env: ['A=1'],
    });
  });

  it('names the flag whose file cannot be read', async () => {
    await expect(flags('build', ['--overrides-file', '/no/such/file'])).rejects.toThrow(
      /^source-overrides \(--overrides-file\): cannot read \/no\/such\/file \(ENOENT.*\); use a file of overrides, one per line/,
    );
  });

  it('shows defaults in the help without handing them to commander', () => {
    const help = addOptionFlags(new Command('build'), 'build').helpInformation();
    expect(help).toContain('(default: release)');
    expect(help).toContain('--no-prune-strip');
    expect(help).toMatch(/--override <spec>[\s\S]*\(repeatable\)/);
    expect(addOptionFlags(new Command('serve'), 'serve').helpInformation()).toMatch(
      /--port <port>[\s\S]*9000/,
    );
  });

  it('requires the flags the table marks required', async () => {
    await expect(flags('invoke', [])).rejects.toThrow(
      /required option '--handler <file\.function>' not specified/,
    );
  });
});
