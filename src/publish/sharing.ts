/**
 * Who else may use the published layers, as AddLayerVersionPermission calls. Pure: no I/O.
 */

/** One grant of `lambda:GetLayerVersion`. Private publishing is the empty list of grants. */
export type SharingGrant =
  | { kind: 'account'; accountId: string }
  | { kind: 'organization'; organizationId: string }
  | { kind: 'public' };

/** The arguments of one AddLayerVersionPermission call, minus the layer name and version. */
export interface LayerPermission {
  /**
   * Stable for a grant, so a rerun asks for the same statement and Lambda's "already exists" conflict
   * means the permission is in place rather than a failure.
   */
  statementId: string;
  action: 'lambda:GetLayerVersion';
  principal: string;
  organizationId?: string;
}

const STATEMENT_PREFIX = 'r-lambda-layer';

export function layerPermission(grant: SharingGrant): LayerPermission {
  switch (grant.kind) {
    case 'account':
      return {
        statementId: `${STATEMENT_PREFIX}-account-${grant.accountId}`,
        action: 'lambda:GetLayerVersion',
        principal: grant.accountId,
      };
    case 'organization':
      // Lambda's way to share with an organisation: everyone, on condition of aws:PrincipalOrgID.
      return {
        statementId: `${STATEMENT_PREFIX}-organization-${grant.organizationId}`,
        action: 'lambda:GetLayerVersion',
        principal: '*',
        organizationId: grant.organizationId,
      };
    case 'public':
      return { statementId: `${STATEMENT_PREFIX}-public`, action: 'lambda:GetLayerVersion', principal: '*' };
  }
}

export function describeGrant(grant: SharingGrant): string {
  switch (grant.kind) {
    case 'account':
      return `account ${grant.accountId}`;
    case 'organization':
      return `organization ${grant.organizationId}`;
    case 'public':
      return 'everyone (public)';
  }
}

/** The sharing value in the form the inputs accept, for logs and plans. */
export function formatSharing(grants: readonly SharingGrant[]): string {
  if (grants.length === 0) return 'private';
  return grants
    .map((g) =>
      g.kind === 'public'
        ? 'public'
        : g.kind === 'account'
          ? `account:${g.accountId}`
          : `organization:${g.organizationId}`,
    )
    .join(',');
}

function principalOf(statement: Record<string, unknown>): string | undefined {
  const principal = statement['Principal'];
  if (typeof principal === 'string') return principal;
  if (principal !== null && typeof principal === 'object') {
    const aws = (principal as Record<string, unknown>)['AWS'];
    if (typeof aws === 'string') return aws;
  }
  return undefined;
}

function orgConditionOf(statement: Record<string, unknown>): string | undefined {
  const condition = statement['Condition'] as Record<string, Record<string, unknown>> | undefined;
  const value = condition?.['StringEquals']?.['aws:PrincipalOrgID'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether the statement with our id in a layer version's policy (the JSON GetLayerVersionPolicy returns)
 * grants what `permission` asks. Lambda writes an account principal as `arn:aws:iam::<id>:root`.
 * Returns undefined when the policy has no statement with that id.
 */
export function policyGrants(policyJson: string, permission: LayerPermission): boolean | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(policyJson);
  } catch {
    return undefined;
  }
  const statements = (policy as { Statement?: unknown })?.Statement;
  if (!Array.isArray(statements)) return undefined;
  const statement = statements.find(
    (s): s is Record<string, unknown> =>
      s !== null && typeof s === 'object' && (s as Record<string, unknown>)['Sid'] === permission.statementId,
  );
  if (statement === undefined) return undefined;
  const principal = principalOf(statement);
  const principalMatches =
    principal === permission.principal ||
    (permission.principal !== '*' && principal === `arn:aws:iam::${permission.principal}:root`);
  const actions = statement['Action'];
  const actionMatches =
    actions === permission.action || (Array.isArray(actions) && actions.includes(permission.action));
  return (
    statement['Effect'] === 'Allow' &&
    principalMatches &&
    actionMatches &&
    orgConditionOf(statement) === permission.organizationId
  );
}

/** The AWS CLI command that removes one statement from a layer version's policy. */
export function removePermissionCommand(
  region: string,
  layerName: string,
  version: number,
  statementId: string,
): string {
  return (
    `aws lambda remove-layer-version-permission --layer-name ${layerName} --version-number ${version} ` +
    `--statement-id ${statementId} --region ${region}`
  );
}
