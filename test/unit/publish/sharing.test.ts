import { formatSharing, layerPermission, policyGrants } from '../../../src/publish/sharing.js';

describe('layerPermission', () => {
  it('grants an account by its id', () => {
    expect(layerPermission({ kind: 'account', accountId: '111122223333' })).toEqual({
      statementId: 'r-lambda-layer-account-111122223333',
      action: 'lambda:GetLayerVersion',
      principal: '111122223333',
    });
  });

  it('grants an organization as everyone on condition of the organization id', () => {
    expect(layerPermission({ kind: 'organization', organizationId: 'o-a1b2c3d4e5' })).toEqual({
      statementId: 'r-lambda-layer-organization-o-a1b2c3d4e5',
      action: 'lambda:GetLayerVersion',
      principal: '*',
      organizationId: 'o-a1b2c3d4e5',
    });
  });

  it('grants public as everyone with a stable statement id', () => {
    expect(layerPermission({ kind: 'public' })).toEqual({
      statementId: 'r-lambda-layer-public',
      action: 'lambda:GetLayerVersion',
      principal: '*',
    });
  });
});

describe('formatSharing', () => {
  it('writes grants back in the accepted input form', () => {
    expect(formatSharing([])).toBe('private');
    expect(
      formatSharing([
        { kind: 'account', accountId: '111122223333' },
        { kind: 'organization', organizationId: 'o-a1b2c3d4e5' },
      ]),
    ).toBe('account:111122223333,organization:o-a1b2c3d4e5');
  });
});

describe('policyGrants', () => {
  const policy = (statement: object): string =>
    JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: [statement] });
  const account = layerPermission({ kind: 'account', accountId: '111122223333' });
  const org = layerPermission({ kind: 'organization', organizationId: 'o-a1b2c3d4e5' });

  it('recognises an account statement as Lambda writes it (principal as a root ARN)', () => {
    const json = policy({
      Sid: account.statementId,
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: 'lambda:GetLayerVersion',
      Resource: 'arn:aws:lambda:us-east-1:123456789012:layer:x:1',
    });
    expect(policyGrants(json, account)).toBe(true);
  });

  it('recognises an organization statement only with the same organization condition', () => {
    const statement = {
      Sid: org.statementId,
      Effect: 'Allow',
      Principal: '*',
      Action: 'lambda:GetLayerVersion',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
    };
    expect(policyGrants(policy(statement), org)).toBe(true);
    const other = { ...statement, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-zzzzzzzzzz' } } };
    expect(policyGrants(policy(other), org)).toBe(false);
  });

  it('reports a statement with our id but another principal as not granting', () => {
    const json = policy({
      Sid: account.statementId,
      Effect: 'Allow',
      Principal: '*',
      Action: 'lambda:GetLayerVersion',
    });
    expect(policyGrants(json, account)).toBe(false);
  });

  it('returns undefined when the statement is missing or the policy unreadable', () => {
    expect(policyGrants(policy({ Sid: 'other' }), account)).toBeUndefined();
    expect(policyGrants('not json', account)).toBeUndefined();
  });
});
