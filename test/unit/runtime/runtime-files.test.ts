import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findOnPath, findPackageBootstrap } from '../../../src/runtime/runtime-files.js';
import { decodeClientContext, isInvokePath } from '../../../src/runtime/invoke-server.js';

describe('finding the runtime files', () => {
  test('walks up from a module to the folder holding layer/bootstrap', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pkg-'));
    mkdirSync(path.join(root, 'layer'));
    writeFileSync(path.join(root, 'layer', 'bootstrap'), '');
    mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
    expect(findPackageBootstrap(path.join(root, 'dist', 'cli', 'index.js'))).toBe(
      path.join(root, 'layer', 'bootstrap'),
    );
    expect(findPackageBootstrap(path.join(root, 'src', 'runtime', 'x.ts'))).toBe(
      path.join(root, 'layer', 'bootstrap'),
    );
  });

  test('says what to do when there is none', () => {
    const lonely = mkdtempSync(path.join(tmpdir(), 'nopkg-'));
    expect(() => findPackageBootstrap(path.join(lonely, 'index.js'))).toThrow(/pass --opt DIR/);
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
