import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../../src/errors.js';
import {
  checkEvent,
  checkHandler,
  functionConfig,
  parseEnvPairs,
  parseLogFormat,
  parseLogLevel,
  parseMaxConcurrency,
  parseMemoryMb,
  parsePort,
  parseTimeoutSeconds,
  readEvent,
} from '../../../src/runtime/options.js';
import type { RawOptions } from '../../../src/options/parse.js';

describe('option checks', () => {
  test('handlers are file.function', () => {
    expect(checkHandler('hello.handler')).toBe('hello.handler');
    expect(checkHandler('src/app.my.fun')).toBe('src/app.my.fun');
    for (const bad of ['hello', '.handler', 'hello.', 'a..b', 'a b.c']) {
      expect(() => checkHandler(bad)).toThrow(UserError);
    }
    expect(() => checkHandler('app')).toThrow(
      'handler (--handler): "app" is not file.function; use file.function, e.g. hello.handler for a function "handler" in hello.R.',
    );
  });

  test('--env pairs', () => {
    expect(parseEnvPairs(['A=1', 'B_2=x=y', 'EMPTY='])).toEqual({ A: '1', B_2: 'x=y', EMPTY: '' });
    expect(() => parseEnvPairs(['=1'])).toThrow(/KEY=VALUE/);
    expect(() => parseEnvPairs(['1A=1'])).toThrow(/KEY=VALUE/);
    expect(() => parseEnvPairs(['NOVALUE'])).toThrow(
      'env (--env): "NOVALUE" is not KEY=VALUE; use KEY=VALUE with KEY a variable name (letters, digits, _).',
    );
  });

  test('numbers', () => {
    expect(parseTimeoutSeconds('2.5')).toBe(2.5);
    expect(() => parseTimeoutSeconds('0')).toThrow(UserError);
    expect(() => parseTimeoutSeconds('901')).toThrow(UserError);
    expect(() => parseTimeoutSeconds('soon')).toThrow(
      'timeout (--timeout): "soon" is not a timeout Lambda allows; use a number of seconds, more than 0 and at most 900 (Lambda\'s maximum).',
    );
    expect(parseMemoryMb('1024')).toBe(1024);
    expect(() => parseMemoryMb('64')).toThrow(/128 to 10240/);
    expect(() => parseMemoryMb('128.5')).toThrow(UserError);
    expect(parsePort('0')).toBe(0);
    expect(() => parsePort('70000')).toThrow(/^port \(--port\): "70000" is not a port; use a port number/);
  });

  test('events must be JSON and at most 6 MB; empty means {}', () => {
    expect(checkEvent(Buffer.from('[1]'), 'x').toString()).toBe('[1]');
    expect(checkEvent(Buffer.from('  \n'), 'x').toString()).toBe('{}');
    expect(() => checkEvent(Buffer.from('{'), 'e.json')).toThrow(/The event in e\.json is not valid JSON/);
    expect(() => checkEvent(Buffer.alloc(6 * 1024 * 1024 + 1, 0x20), 'big')).toThrow(/at most 6291456/);
  });

  test('readEvent: a file, stdin, or {}', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ev-'));
    writeFileSync(path.join(dir, 'e.json'), '{"a":1}');
    expect(readEvent(path.join(dir, 'e.json'), () => Buffer.alloc(0)).toString()).toBe('{"a":1}');
    expect(readEvent('-', () => Buffer.from('"s"')).toString()).toBe('"s"');
    expect(readEvent(undefined, () => Buffer.alloc(0)).toString()).toBe('{}');
    expect(() => readEvent(path.join(dir, 'missing.json'), () => Buffer.alloc(0))).toThrow(
      /^event \(--event\): cannot read the event file .*missing\.json \(.*\); use a JSON file, or - for stdin\.$/,
    );
  });
});

describe('functionConfig', () => {
  // Only the handler is required; task root, timeout and memory take their declared defaults.
  const base: RawOptions = { handler: 'app.handler' };
  const files = { packageBootstrap: () => '/pkg/layer/bootstrap', rscriptOnPath: () => '/usr/bin/Rscript' };

  test("uses the package's bootstrap and the R on PATH by default", () => {
    const config = functionConfig({ ...base, env: ['K=V'] }, files);
    expect(config).toMatchObject({
      bootstrap: '/pkg/layer/bootstrap',
      rscript: '/usr/bin/Rscript',
      taskRoot: process.cwd(),
      timeoutMs: 3000,
      memoryMb: 128,
      extraEnv: { K: 'V' },
    });
  });

  test('without R on PATH it says what to do', () => {
    expect(() => functionConfig(base, { ...files, rscriptOnPath: () => undefined })).toThrow(
      /No Rscript on PATH/,
    );
  });

  test('--max-concurrency implies JSON logs; a log level needs them', () => {
    expect(functionConfig({ ...base, 'max-concurrency': '4', 'log-level': 'warn' }, files)).toMatchObject({
      maxConcurrency: 4,
      logLevel: 'WARN',
    });
    expect(() => functionConfig({ ...base, 'log-level': 'debug' }, files)).toThrow(
      /\(--log-level\): Lambda sets an application log level only with the JSON log format; use it together with --log-format JSON\./,
    );
    expect(functionConfig({ ...base, 'log-format': 'json', 'log-level': 'debug' }, files)).toMatchObject({
      logFormat: 'JSON',
      logLevel: 'DEBUG',
    });
  });

  test('a missing task root is a UserError', () => {
    expect(() => functionConfig({ ...base, 'task-root': '/definitely/not/here' }, files)).toThrow(
      /^task-root \(--task-root\): \/definitely\/not\/here is not a folder; use the folder holding/,
    );
  });
});

describe('Managed Instances and log options', () => {
  test('--max-concurrency takes 1 to 1024', () => {
    expect(parseMaxConcurrency('4')).toBe(4);
    for (const bad of ['0', '1025', '2.5', 'four', '-1']) {
      expect(() => parseMaxConcurrency(bad)).toThrow(/\(--max-concurrency\): .*; use a whole number/);
    }
  });

  test('log format and level are read in any case and passed as Lambda spells them', () => {
    expect(parseLogFormat('json')).toBe('JSON');
    expect(parseLogFormat('TEXT')).toBe('Text');
    expect(parseLogLevel('debug')).toBe('DEBUG');
    expect(() => parseLogFormat('yaml')).toThrow(
      /\(--log-format\): "yaml" is not a log format; use Text or JSON\./,
    );
    expect(() => parseLogLevel('verbose')).toThrow(/use TRACE, DEBUG, INFO, WARN, ERROR or FATAL/);
  });
});
