import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import { findOnPath, findPackageBootstrap } from '../../../src/runtime/runtime-files.js';
import { decodeClientContext, isInvokePath } from '../../../src/runtime/invoke-server.js';

describe('finding the runtime files', () => {
  test('walks up from a module to the package folder (data/ and layer/) and takes its layer/bootstrap', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pkg-'));
    mkdirSync(path.join(root, 'layer'));
    mkdirSync(path.join(root, 'data'));
    writeFileSync(path.join(root, 'data', 'stages.yml'), '');
    for (const from of ['dist/cli', 'src/runtime']) {
      mkdirSync(path.join(root, from), { recursive: true });
      expect(findPackageBootstrap(path.join(root, from))).toBe(path.join(root, 'layer', 'bootstrap'));
    }
  });

  test('says what to do when there is none', () => {
    const lonely = mkdtempSync(path.join(tmpdir(), 'nopkg-'));
    expect(() => findPackageBootstrap(lonely)).toThrow(UserError);
    expect(() => findPackageBootstrap(lonely)).toThrow(/pass --opt DIR/);
  });

  test('finds executables on PATH only', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bin-'));
    writeFileSync(path.join(dir, 'Rscript'), '#!/bin/sh\n');
    expect(findOnPath('Rscript', dir)).toBeUndefined();
    chmodSync(path.join(dir, 'Rscript'), 0o755);
    expect(findOnPath('Rscript', `/nonexistent:${dir}`)).toBe(path.join(dir, 'Rscript'));
  });
});

describe('the invoke endpoint', () => {
  test('paths', () => {
    expect(isInvokePath('POST', '/2015-03-31/functions/function/invocations')).toBe(true);
    expect(isInvokePath('POST', '/2015-03-31/functions/my-fn/invocations?Qualifier=1')).toBe(true);
    expect(isInvokePath('GET', '/2015-03-31/functions/function/invocations')).toBe(false);
    expect(isInvokePath('POST', '/2015-03-31/functions/invocations')).toBe(false);
  });

  test('client context is base64 JSON', () => {
    expect(decodeClientContext(Buffer.from('{"custom":{"a":1}}').toString('base64'))).toEqual({
      custom: { a: 1 },
    });
    expect(decodeClientContext(undefined)).toBeUndefined();
    expect(decodeClientContext('%%%')).toBeUndefined();
  });
});
