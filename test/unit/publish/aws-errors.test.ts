import { readFile } from 'node:fs/promises';
import { UserError } from '../../../src/errors.js';
import { actionFromMessage, explainAwsError, IAM_ACTIONS } from '../../../src/publish/aws-errors.js';

const context = { action: 'lambda:PublishLayerVersion', region: 'eu-west-1', resource: 'layer x' };

function awsError(name: string, message: string, status: number, attempts = 1): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, attempts } });
}

describe('explainAwsError', () => {
  it('names the IAM action AWS says is missing, and the region', () => {
    const error = explainAwsError(
      awsError(
        'AccessDeniedException',
        'User: arn:aws:iam::1:user/u is not authorized to perform: lambda:ListLayerVersions on resource: arn because no identity-based policy allows the lambda:ListLayerVersions action',
        403,
      ),
      context,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      /^Access denied in eu-west-1: .* may not call lambda:ListLayerVersions on layer x\. Grant lambda:ListLayerVersions/,
    );
    expect((error as Error).message).toContain('docs/iam-policy.json');
  });

  it('falls back to the action of the call when the message does not say (S3 "Access Denied")', () => {
    const error = explainAwsError(awsError('AccessDenied', 'Access Denied', 403), {
      ...context,
      action: 's3:PutObject',
      resource: 's3://b/k',
    }) as Error;
    expect(error.message).toMatch(/may not call s3:PutObject on s3:\/\/b\/k/);
  });

  it('explains Lambda failing to read an S3 zip as a missing s3:GetObject', () => {
    const error = explainAwsError(
      awsError(
        'InvalidParameterValueException',
        'Error occurred while GetObject. S3 Error Code: AccessDenied. S3 Error Message: Access Denied',
        400,
      ),
      context,
    ) as Error;
    expect(error.message).toContain('s3:GetObject');
  });

  it('says throttling outlasted the retries, with the attempt count', () => {
    const error = explainAwsError(
      awsError('TooManyRequestsException', 'Rate exceeded', 429, 6),
      context,
    ) as Error;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /lambda:PublishLayerVersion in eu-west-1 was still throttled after 6 attempts/,
    );
  });

  it('points at credentials when there are none', () => {
    const error = explainAwsError(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      context,
    ) as Error;
    expect(error.message).toMatch(/No usable AWS credentials .* AWS_ACCESS_KEY_ID/);
  });

  it('keeps other service errors readable with their name and status', () => {
    const error = explainAwsError(
      awsError('InvalidParameterValueException', 'Bad runtime', 400),
      context,
    ) as Error;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(
      'lambda:PublishLayerVersion in eu-west-1 failed for layer x: InvalidParameterValueException (HTTP 400). AWS said: Bad runtime',
    );
  });

  it('passes through errors that do not come from AWS (bugs keep their stack)', () => {
    const bug = new TypeError('x is undefined');
    expect(explainAwsError(bug, context)).toBe(bug);
  });
});

describe('actionFromMessage', () => {
  it('reads the action from IAM’s wording', () => {
    expect(
      actionFromMessage(
        'User: u is not authorized to perform: lambda:AddLayerVersionPermission on resource: r',
      ),
    ).toBe('lambda:AddLayerVersionPermission');
    expect(actionFromMessage('Access Denied')).toBeUndefined();
  });
});

describe('docs/iam-policy.json', () => {
  it('grants exactly the IAM actions publishing uses', async () => {
    const policyPath = new URL('../../../docs/iam-policy.json', import.meta.url);
    const policy = JSON.parse(await readFile(policyPath, 'utf8')) as { Statement: { Action: string[] }[] };
    const granted = policy.Statement.flatMap((s) => s.Action).sort();
    expect(granted).toEqual(Object.values(IAM_ACTIONS).sort());
  });
});
