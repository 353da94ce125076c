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

/**
 * Whether the statement with our id in a layer version's policy (the JSON GetLayerVersionPolicy returns) grants what
 * `permission` asks. Lambda writes an account principal as `arn:aws:iam::<id>:root`. Returns undefined when the
 * policy has no statement with that id.
 */
export function policyGrants(policyJson: string, permission: LayerPermission): boolean | undefined {
  let statements: unknown;
  try {
    statements = (JSON.parse(policyJson) as { Statement?: unknown } | null)?.Statement;
  } catch {
    return undefined;
  }
  if (!Array.isArray(statements)) return undefined;
  const statement = (statements as (Record<string, unknown> | null)[]).find(
    (s) => s?.['Sid'] === permission.statementId,
  );
  if (!statement) return undefined;
  const {
    Principal: principal,
    Action: actions,
    Condition: condition,
  } = statement as {
    Principal?: string | { AWS?: string };
    Action?: string | string[];
    Condition?: { StringEquals?: Record<string, unknown> };
  };
  const who = typeof principal === 'object' && principal !== null ? principal.AWS : principal;
  const principalMatches =
    who === permission.principal ||
    (permission.principal !== '*' && who === `arn:aws:iam::${permission.principal}:root`);
  const actionMatches =
    actions === permission.action || (Array.isArray(actions) && actions.includes(permission.action));
  return (
    statement['Effect'] === 'Allow' &&
    principalMatches &&
    actionMatches &&
    condition?.StringEquals?.['aws:PrincipalOrgID'] === permission.organizationId
  );
}
