/**
 * The scripts the workflows run, run here for real: the smoke test (scripts/smoke-test.sh) against a stand-in for
 * Lambda's runtime interface emulator on 127.0.0.1, and the record step (scripts/record-built-versions.sh) against a
 * local bare git origin whose branch moves while it runs.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = process.cwd();
const scratch = mkdtempSync(path.join(os.tmpdir(), 'wf-scripts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/**
 * A stand-in emulator: logs like the real one, answers any GET, and answers invocations as `mode` says:
 * `ok` like a working R runtime, `wrong` with another R version, `crash` by dropping the connection (curl fails).
 */
const FAKE_RIE = `
import http from 'node:http';
const [mode, port] = [process.env.FAKE_MODE, Number(process.env.FAKE_PORT)];
console.log('fake emulator: starting ' + process.argv[2]);
if (mode === 'crash') console.log('bootstrap: R could not load libR.so (simulated)');
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.method !== 'POST') return res.writeHead(404).end();
    if (mode === 'crash') return req.socket.destroy();
    if (JSON.parse(body).fail) {
      console.log('handler error: failing on purpose');
      return res.end(JSON.stringify({ errorType: 'SmokeTestError', errorMessage: 'failing on purpose' }));
    }
    const version = mode === 'wrong' ? '4.4.3' : '4.5.2';
    res.end(JSON.stringify('hello smoke from R version ' + version + ' (2025-10-31)'));
  });
}).listen(port, '127.0.0.1');
`;

async function smokeTest(mode: 'ok' | 'wrong' | 'crash') {
  const dir = mkdtempSync(path.join(scratch, 'smoke-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'fake-rie.mjs'), FAKE_RIE);
  const rie = path.join(dir, 'aws-lambda-rie');
  writeFileSync(rie, `#!/bin/sh\nexec ${process.execPath} ${path.join(dir, 'fake-rie.mjs')} "$@"\n`);
  const bootstrap = path.join(dir, 'bootstrap');
  writeFileSync(bootstrap, '#!/bin/sh\n');
  for (const f of [rie, bootstrap]) chmodSync(f, 0o755);
  const result = spawnSync('sh', [path.join(root, 'scripts', 'smoke-test.sh'), '4.5.2'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      RIE: rie,
      BOOTSTRAP: bootstrap,
      TASK_ROOT: path.join(dir, 'task'),
      SMOKE_URL: `http://127.0.0.1:${port}`,
      FAKE_MODE: mode,
      FAKE_PORT: String(port),
    },
  });
  return { ...result, handler: readFileSync(path.join(dir, 'task', 'smoke.R'), 'utf8') };
}

describe('scripts/smoke-test.sh', () => {
  it('passes when the handler answers and its error comes back with its errorType, and prints the log', async () => {
    const run = await smokeTest('ok');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.handler).toContain('handler <- function(event)');
    expect(run.stdout).toContain('good response: "hello smoke from R version 4.5.2 (2025-10-31)"');
    expect(run.stdout).toContain('"errorType":"SmokeTestError"');
    expect(run.stdout).toContain('handler error: failing on purpose'); // the emulator's log
    expect(run.stdout).toMatch(/smoke test: passed \(R 4\.5\.2\)\n$/);
  }, 60_000);

  it('fails on another R version, naming the response', async () => {
    const run = await smokeTest('wrong');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      '::error::smoke test: unexpected response: "hello smoke from R version 4.4.3',
    );
  }, 60_000);

  it('when curl itself fails, still prints the emulator log with the diagnosis', async () => {
    const run = await smokeTest('crash');
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/::error::smoke test: the invocation did not complete \(curl exit \d+\)/);
    expect(run.stdout).toContain('bootstrap: R could not load libR.so (simulated)');
    expect(run.stdout).toContain('smoke test: FAILED (exit 1)');
  }, 60_000);
});

describe('scripts/record-built-versions.sh', () => {
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], {
      cwd,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

  function setup() {
    const dir = mkdtempSync(path.join(scratch, 'record-'));
    const origin = path.join(dir, 'origin.git');
    git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
    const seed = path.join(dir, 'seed');
    git(dir, 'clone', '--quiet', origin, seed);
    spawnSync('mkdir', ['-p', path.join(seed, 'data')]);
    writeFileSync(
      path.join(seed, 'data', 'built-r-versions.json'),
      JSON.stringify({ minimumVersion: '4.4.0', built: ['4.4.3'] }, null, 2) + '\n',
    );
    writeFileSync(path.join(seed, 'NOTES'), 'one\n');
    git(seed, 'add', '.');
    git(seed, 'commit', '--quiet', '-m', 'seed');
    git(seed, 'push', '--quiet', 'origin', 'HEAD:main');
    // The workflow's checkout, made when the run started.
    const work = path.join(dir, 'work');
    git(dir, 'clone', '--quiet', origin, work);
    // A stand-in `node` that runs the release script from source; on its first call, someone else pushes to main
    // (the build took long, the branch moved), so the first push is rejected.
    const bin = path.join(dir, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    const moved = path.join(dir, 'moved');
    writeFileSync(
      path.join(bin, 'node'),
      '#!/bin/sh\n' +
        `if [ ! -e ${moved} ] && [ -n "$MOVE_ORIGIN" ]; then\n` +
        `  touch ${moved}\n` +
        `  (cd ${seed} && echo two >> NOTES && git -c user.name=o -c user.email=o@example.org commit -qam other && git push -q origin HEAD:main)\n` +
        'fi\n' +
        `shift; exec ${process.execPath} ${tsx} ${path.join(root, 'src/release/main.ts')} "$@"\n`,
    );
    chmodSync(path.join(bin, 'node'), 0o755);
    const run = (env: Record<string, string>) =>
      spawnSync('bash', [path.join(root, 'scripts', 'record-built-versions.sh')], {
        cwd: work,
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, RETRY_DELAY: '0', BRANCH: 'main', ...env },
      });
    return { origin, dir, run };
  }

  it('records on the branch as it is after it moved: fetches again, applies the change again, pushes', () => {
    const { origin, dir, run } = setup();
    const result = run({ VERSIONS: '["4.5.2"]', MOVE_ORIGIN: '1' });
    expect(result.stderr).toContain('push to main rejected (attempt 1 of 5): fetching it again');
    expect(result.stdout).toContain('recorded ["4.5.2"] in data/built-r-versions.json on main (attempt 2)');
    expect(result.status).toBe(0);
    const check = path.join(dir, 'check');
    git(dir, 'clone', '--quiet', origin, check);
    expect(git(check, 'log', '--format=%s')).toBe('Record R layers built: ["4.5.2"]\nother\nseed');
    expect(readFileSync(path.join(check, 'NOTES'), 'utf8')).toBe('one\ntwo\n'); // the other push is kept
    expect(JSON.parse(readFileSync(path.join(check, 'data', 'built-r-versions.json'), 'utf8'))).toEqual({
      minimumVersion: '4.4.0',
      built: ['4.4.3', '4.5.2'],
    });
    // A second run finds them recorded and pushes nothing.
    const again = run({ VERSIONS: '["4.5.2"]' });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already lists ["4.5.2"]');
  }, 60_000);

  it('gives up with a clear error when every push is refused', () => {
    const { origin, run } = setup();
    // A hook that refuses every push, as a branch protection rule would.
    writeFileSync(
      path.join(origin, 'hooks', 'pre-receive'),
      '#!/bin/sh\necho "protected branch" >&2\nexit 1\n',
    );
    chmodSync(path.join(origin, 'hooks', 'pre-receive'), 0o755);
    const result = run({ VERSIONS: '["4.5.2"]', ATTEMPTS: '2' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('protected branch');
    expect(result.stdout).toContain(
      '::error::could not push data/built-r-versions.json to main after 2 attempts',
    );
  }, 60_000);
});
