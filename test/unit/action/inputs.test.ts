import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ACTION_YML, actionYml } from '../../../src/action/action-yml.js';
import { ACTION_INPUTS, getInputs, PUBLISH_ONLY_INPUTS, type InputName } from '../../../src/action/inputs.js';
import { declaration, optionsIn } from '../../../src/options/declarations.js';
import { DEFAULT_PACKAGES } from '../../../src/pipeline/plan/options.js';
import { LAYER_KINDS } from '../../../src/layers.js';

const STAGES = ['zlib', 'openssl', 'curl', 'bzip2', 'xz', 'pcre2', 'libxml2', 'R'];
const cwd = '/work/here';

function inputs(map: Partial<Record<InputName, string>>) {
  const warnings: string[] = [];
  const read = (name: string): string => map[name as InputName] ?? '';
  const result = getInputs(read, { sourceStages: STAGES, cwd, warn: (m) => warnings.push(m) });
  return { result, warnings };
}

const fails = (map: Partial<Record<InputName, string>>): string => {
  try {
    inputs(map);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected getInputs to throw');
};

describe('getInputs', () => {
  it('gives the documented defaults when nothing is set', () => {
    const { result, warnings } = inputs({});
    expect(result.build.rVersion).toBe('release');
    expect(result.build.packages).toEqual(['aws.s3']);
    expect(result.build.prefix).toBe('/opt');
    expect(result.build.outDir).toBe(path.join(cwd, 'layers'));
    expect(result.build.installToolchain).toBe(true);
    expect(result.cache).toBe(true);
    expect(result.cacheDirGiven).toBe(false);
    expect(result.allowAnyHost).toBe(false);
    expect(result.publish).toBeUndefined();
    expect(result.artifactName).toBeUndefined();
    expect(result.retentionDays).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('passes build inputs to the pipeline validator, multi-line overrides included', () => {
    const { result } = inputs({
      'r-version': '4.2.2',
      packages: 'xml2, curl',
      'cran-repo': 'file:///srv/cran/',
      'source-overrides': `zlib=/m/zlib.tar.gz,sha256=${'a'.repeat(64)},version=1.3\nR=file:///m/R-4.2.2.tar.gz,sha256=${'b'.repeat(64)}\n`,
      'prune-help': 'false',
      jobs: '3',
    });
    expect(result.build.rVersion).toBe('4.2.2');
    expect(result.build.packages).toEqual(['xml2', 'curl']);
    expect(result.build.cranRepo).toBe('file:///srv/cran');
    expect(Object.keys(result.build.overrides)).toEqual(['zlib', 'R']);
    expect(result.build.prune.help).toBe(false);
    expect(result.build.prune.strip).toBe(true);
    expect(result.build.jobs).toBe(3);
  });

  it('refuses a bad r-version, naming the input and the accepted form', () => {
    expect(fails({ 'r-version': '4.x' })).toMatch(
      /^r-version \(--r-version\): "4\.x" is not a valid R version; use an exact version such as 4\.4\.1, or "release"/,
    );
    expect(fails({ 'r-version': '3.6.3' })).toMatch(/^r-version \(--r-version\): R 3\.6\.3 is not supported/);
  });

  it('reads booleans strictly (YAML 1.2 core), naming the input', () => {
    expect(inputs({ cache: 'false' }).result.cache).toBe(false);
    expect(inputs({ cache: 'TRUE' }).result.cache).toBe(true);
    expect(inputs({ 'allow-any-host': 'true' }).result.allowAnyHost).toBe(true);
    expect(fails({ cache: 'yes' })).toBe('cache: "yes" is not a boolean; use true or false.');
    expect(fails({ publish: 'on' })).toBe('publish: "on" is not a boolean; use true or false.');
    expect(fails({ 'allow-any-host': '1' })).toMatch(/^allow-any-host: "1" is not a boolean/);
    expect(fails({ 'install-toolchain': 'no' })).toMatch(
      /^install-toolchain \(--no-toolchain\): "no" is not a boolean/,
    );
  });

  it('accepts retention-days from 1 to 90 only', () => {
    expect(inputs({ 'retention-days': '1' }).result.retentionDays).toBe(1);
    expect(inputs({ 'retention-days': '90' }).result.retentionDays).toBe(90);
    for (const bad of ['0', '91', '7.5', '-3', 'week']) {
      expect(fails({ 'retention-days': bad })).toBe(
        `retention-days: "${bad}" is not a number of days; use a whole number from 1 to 90, or leave it empty for the repository's setting.`,
      );
    }
  });

  it('checks artifact-name against what GitHub accepts', () => {
    expect(inputs({ 'artifact-name': 'my-layers' }).result.artifactName).toBe('my-layers');
    expect(fails({ 'artifact-name': 'layers/4.5.2' })).toMatch(
      /^artifact-name: "layers\/4\.5\.2" is not a valid artifact name/,
    );
  });

  it('requires a region when publishing, naming the input', () => {
    expect(fails({ publish: 'true' })).toMatch(
      /^regions \(--regions\): no region given; publishing needs at least one; use a comma-separated list/,
    );
    expect(fails({ publish: 'true', regions: 'us-east-1,Mars' })).toMatch(/"Mars" is not an AWS region name/);
  });

  it('publishes what this build writes: the publisher reads the build out-dir', () => {
    const { result } = inputs({
      publish: 'true',
      regions: 'us-east-1, eu-west-1',
      'out-dir': 'dist-layers',
      sharing: 'public',
    });
    expect(result.publish?.outDir).toBe(path.join(cwd, 'dist-layers'));
    expect(result.publish?.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(result.publish?.sharing).toEqual([{ kind: 'public' }]);
    expect(result.publish?.dryRun).toBe(false);
  });

  it('does not validate publishing inputs when publish is false, and warns that they are ignored', () => {
    const { result, warnings } = inputs({ regions: 'not a region', 's3-bucket': 'b' });
    expect(result.publish).toBeUndefined();
    expect(warnings).toEqual([
      'publish is false, so regions, s3-bucket are ignored; set publish: true to publish the layers.',
    ]);
  });

  it('warns which input wins when cache is false and cache-dir is set', () => {
    const { result, warnings } = inputs({ cache: 'false', 'cache-dir': '/srv/cache' });
    expect(result.cache).toBe(false);
    expect(result.cacheDirGiven).toBe(false);
    expect(warnings).toEqual([
      'cache is false, so cache-dir is ignored: every stage is built from source and nothing is cached.',
    ]);
    expect(inputs({ 'cache-dir': '/srv/cache' }).result.cacheDirGiven).toBe(true);
  });

  it('warns when published layers would not live in /opt', () => {
    const { warnings } = inputs({ publish: 'true', regions: 'us-east-1', prefix: '/tmp/opt' });
    expect(warnings.join('\n')).toMatch(
      /^prefix is \/tmp\/opt and publish is true: Lambda unpacks layers in \/opt/,
    );
  });
});

describe('action.yml and the option table', () => {
  const parsed = parse(readFileSync(path.join(process.cwd(), ACTION_YML), 'utf8')) as {
    inputs: Record<string, { description: string; required?: boolean; default?: string }>;
    outputs: Record<string, { description: string }>;
    runs: { using: string; main: string };
  };

  it('is exactly what npm run build generates from the option declarations (run it after changing an option)', () => {
    expect(readFileSync(path.join(process.cwd(), ACTION_YML), 'utf8')).toBe(actionYml());
  });

  it('lists exactly the declared action inputs, in order, each with its description and default', () => {
    expect(Object.keys(parsed.inputs)).toEqual([...ACTION_INPUTS]);
    for (const name of ACTION_INPUTS) {
      const declared = declaration(name);
      expect({ [name]: parsed.inputs[name] }).toEqual({
        [name]: {
          description: declared.description,
          required: false,
          ...(declared.default === undefined ? {} : { default: declared.default }),
        },
      });
    }
  });

  it('makes every build and publish option an input, and the command-line-only ones not', () => {
    for (const name of [...optionsIn('build'), ...optionsIn('publish')]) {
      expect([name, ACTION_INPUTS.includes(name as InputName)]).toEqual([name, name !== 'verbose']);
    }
    for (const name of [...optionsIn('invoke'), ...optionsIn('serve')]) {
      expect(ACTION_INPUTS.includes(name as InputName)).toBe(false);
    }
    expect(PUBLISH_ONLY_INPUTS).toEqual([
      'regions',
      'sharing',
      'layer-prefix',
      'layer-names',
      's3-bucket',
      's3-prefix',
      'dry-run',
    ]);
  });

  it('states in the descriptions the defaults the parsers compute', () => {
    expect(declaration('packages').description).toContain(
      `Default: ${DEFAULT_PACKAGES}, or none with a lockfile`,
    );
    expect(declaration('layer-names').accepted).toContain(`the kinds ${LAYER_KINDS.join(', ')}`);
    expect(declaration('artifact-name').description).toContain('r-lambda-layers-4.5.2-x86_64');
  });

  it('runs the committed bundle on node24', () => {
    expect(parsed.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });
});
