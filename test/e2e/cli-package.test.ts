/**
 * The CLI as an npm package: `npm pack`, installed globally into an empty prefix, run from there in a folder far from
 * this repository. The package carries the bundle, data/ and the layer/ runtime files, and nothing else.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, runProcess } from '../support/mirror.js';

const work = mkdtempSync(path.join(tmpdir(), 'rll-pack-'));
const prefix = path.join(work, 'prefix');
const bin = path.join(prefix, 'bin', 'r-lambda-layer');
let tarball: string;
let files: string[];

beforeAll(() => {
  const npm = (args: string[], cwd: string): string =>
    execFileSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false' } });
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], repoRoot)) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!packed) throw new Error('npm pack printed nothing');
  tarball = path.join(work, packed.filename);
  files = packed.files.map((f) => f.path);
  // No dependencies to fetch: everything the CLI runs is in its bundle.
  npm(['install', '--global', '--prefix', prefix, '--offline', '--no-audit', tarball], work);
}, 5 * 60_000);

describe('the npm package', () => {
  it('holds the CLI bundle, data/ and the runtime files, and nothing of the sources or tests', () => {
    for (const file of [
      'dist/cli/index.js',
      'data/stages.yml',
      'data/install-packages.R',
      'layer/bootstrap',
      'LICENSE',
    ]) {
      expect(files).toContain(file);
    }
    expect(
      files.filter((f) => /^(src|test|scripts|node_modules|examples)\//.test(f) || f === 'dist/index.js'),
    ).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({ name: 'r-lambda-layer', license: 'MIT', engines: { node: '>=20' } });
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies).toBeUndefined();
    expect(existsSync(path.join(prefix, 'lib', 'node_modules', 'r-lambda-layer', 'node_modules'))).toBe(
      false,
    );
  });

  it('installs a working `r-lambda-layer` command', async () => {
    const help = await runProcess(bin, ['--help'], { ...process.env }, 60_000);
    expect(help.code).toBe(0);
    for (const command of ['build', 'invoke', 'serve', 'publish'])
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    console.log(`installed CLI ran on Node ${process.version}, the lowest version package.json supports`);
  });

  it('invokes an example handler from the installed copy (its runtime files, Debian R)', async () => {
    const task = path.join(work, 'hello');
    cpSync(path.join(repoRoot, 'examples', 'hello'), task, { recursive: true });
    // From a folder of its own (runProcess starts in the repository; the shell leaves it).
    const run = await runProcess(
      'sh',
      [
        '-c',
        `cd "${work}" && echo '{"name":"packed"}' | "${bin}" invoke --task-root hello --handler hello.handler --event -`,
      ],
      { ...process.env },
      120_000,
    );
    expect(run.stderr).not.toMatch(/error:/);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ message: 'Hello, packed!' });
    // The runtime came from the installed package, not from this repository.
    expect(run.stderr + run.stdout).not.toContain(path.join(repoRoot, 'layer'));
  });
});
