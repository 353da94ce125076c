import {
  functionArn,
  functionNameFor,
  lambdaEnvironment,
  logStreamName,
} from '../../../src/runtime/lambda-environment.js';
import type { FunctionConfig } from '../../../src/runtime/lambda-environment.js';

const config: FunctionConfig = {
  bootstrap: '/layers/opt/bootstrap',
  taskRoot: '/code/fn',
  handler: 'app.handler',
  functionName: 'fn',
  memoryMb: 512,
  timeoutMs: 3000,
  initTimeoutMs: 10000,
  region: 'eu-central-1',
  extraEnv: {},
};

describe('the Lambda environment', () => {
  test('has what Lambda sets for provided.al2023, with the layer folder standing in for /opt', () => {
    const env = lambdaEnvironment(config, '127.0.0.1:1234', 'stream');
    expect(env).toMatchObject({
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:1234',
      _HANDLER: 'app.handler',
      LAMBDA_TASK_ROOT: '/code/fn',
      LAMBDA_RUNTIME_DIR: '/layers/opt',
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fn',
      AWS_LAMBDA_LOG_STREAM_NAME: 'stream',
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_provided.al2023',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/usr/local/bin:/usr/bin/:/bin:/layers/opt/bin',
      LD_LIBRARY_PATH: '/code/fn:/code/fn/lib:/layers/opt/lib',
    });
    expect(env).not.toHaveProperty('R_LAMBDA_RSCRIPT');
    expect(env).not.toHaveProperty('R_LIBS');
    expect(env).not.toHaveProperty('HOME');
  });

  test('R_LAMBDA_RSCRIPT, the runtime package built for its R as R_LIBS, and --env values, which win', () => {
    const env = lambdaEnvironment(
      {
        ...config,
        rscript: '/usr/bin/Rscript',
        runtimeLibrary: '/cache/runtime-package/abc',
        extraEnv: { TZ: 'Europe/Paris', X: '1' },
      },
      'a:1',
      's',
    );
    expect(env).toMatchObject({
      R_LAMBDA_RSCRIPT: '/usr/bin/Rscript',
      R_LIBS: '/cache/runtime-package/abc',
      TZ: 'Europe/Paris',
      X: '1',
    });
  });

  test('Managed Instances: AWS_LAMBDA_MAX_CONCURRENCY, their initialization type, JSON logs by default', () => {
    expect(lambdaEnvironment({ ...config, maxConcurrency: 4 }, 'a:1', 's')).toMatchObject({
      AWS_LAMBDA_MAX_CONCURRENCY: '4',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'lambda-managed-instances',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
    });
    const plain = lambdaEnvironment(config, 'a:1', 's');
    expect(plain).not.toHaveProperty('AWS_LAMBDA_MAX_CONCURRENCY');
    expect(plain).not.toHaveProperty('AWS_LAMBDA_LOG_FORMAT');
    expect(plain).not.toHaveProperty('AWS_LAMBDA_LOG_LEVEL');
    expect(lambdaEnvironment({ ...config, logFormat: 'JSON', logLevel: 'DEBUG' }, 'a:1', 's')).toMatchObject({
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'DEBUG',
    });
  });

  test('names', () => {
    expect(functionArn(config)).toBe('arn:aws:lambda:eu-central-1:123456789012:function:fn');
    expect(functionNameFor('/x/my app!')).toBe('my-app-');
    expect(functionNameFor('/')).toBe('function');
    expect(logStreamName(new Date('2026-03-10T12:00:00Z'))).toMatch(
      /^2026\/03\/10\/\[\$LATEST\][0-9a-f]{32}$/,
    );
  });
});
