/**
 * cdk-nag acknowledgements that follow a rule rather than a construct path, each with its reason.
 * Findings are computed with cdk-nag's own rule functions and acknowledged (Validations.of) only when
 * they match an allowed shape; anything else stays a finding and fails the synth. This runs as a
 * validation plugin registered before AwsSolutionsChecks, i.e. on the finished tree, where
 * cross-stack and cross-region references have their final form (the finding ids contain them).
 */
import {
  type App,
  CfnResource,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { CfnManagedPolicy, CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Actions that IAM does not scope to a resource: `Resource: "*"` is the only form IAM accepts. */
export const ACTIONS_WITHOUT_RESOURCE_TYPES = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'timestream:DescribeEndpoints',
]);

/**
 * Actions allowed on Resource "*" only when the statement also pins the request's tags: KMS CreateKey
 * has no resource type, and tagging happens on a key that does not exist yet.
 */
export const ACTIONS_ALLOWED_ON_STAR_WITH_REQUEST_TAG = new Set(['kms:CreateKey', 'kms:TagResource']);

/**
 * WAF rules allowed to only count (`<managed rule group>/<rule>` → why): the evidence check
 * EDGE-WAF-COUNT fails on any other rule in count mode. The ingest API's construct builds its
 * overrides from this list, so what runs and what the report accepts are one list.
 */
export const WAF_COUNT_ACKNOWLEDGED: Readonly<Record<string, string>> = {
  'AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY':
    "metric batches are legitimately larger than the 8 KB body rule; the BodyTooLarge rule and the handlers' 1 MiB limit (413) bound bodies instead",
};

/**
 * The one Allow by exclusion the platform writes (the evidence check IAM-NO-NOT-ELEMENTS fails on any
 * other): SMS goes to a phone number, which has no ARN, so the notifier may `sns:Publish` to anything
 * that is not an SNS resource, i.e. phone numbers only (infra/constructs/alerting.ts).
 */
export function exclusionGrantIsJustified(statement: Readonly<Record<string, unknown>>): string | undefined {
  const keys = Object.keys(statement).filter((k) => k !== 'Sid');
  const smsOnly =
    keys.sort().join(',') === 'Action,Effect,NotResource' &&
    statement.Action === 'sns:Publish' &&
    /^arn:[a-z-]+:sns:\*:\*:\*$/.test(String(statement.NotResource));
  return smsOnly
    ? 'sns:Publish to phone numbers (SMS): no ARN exists for them, every SNS resource is excluded'
    : undefined;
}

export interface PolicyStatementJson {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Whether an Allow statement with Resource "*" is one IAM gives no narrower form for. */
export function starStatementIsJustified(statement: PolicyStatementJson): boolean {
  const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
  const pinsRequestTag = JSON.stringify(statement.Condition ?? {}).includes('aws:RequestTag/');
  return actions.every(
    (a) =>
      typeof a === 'string' &&
      (ACTIONS_WITHOUT_RESOURCE_TYPES.has(a) ||
        (pinsRequestTag && ACTIONS_ALLOWED_ON_STAR_WITH_REQUEST_TAG.has(a))),
  );
}

/** Whether every statement naming `key/*` ARNs requires the tenant-key tag on the key. */
function tenantKeyStatementsAreTagScoped(statements: PolicyStatementJson[]): boolean {
  return statements
    .filter((s) => JSON.stringify(s.Resource ?? null).includes(':key/*'))
    .every((s) => JSON.stringify(s.Condition ?? {}).includes('aws:ResourceTag/'));
}

interface WildcardAllowance {
  readonly finding: RegExp;
  readonly reason: string;
}

const IAM5_ALLOWANCES: readonly WildcardAllowance[] = [
  {
    finding: /^Action::kms:(GenerateDataKey|ReEncrypt)\*$/,
    reason:
      'grant* on one key ARN: GenerateDataKey* and ReEncrypt* name the variants of a single KMS operation ' +
      '(WithoutPlaintext, From/To), never another resource.',
  },
  {
    finding: /^Action::s3:(Abort|GetBucket|GetObject|List)\*$/,
    reason:
      'S3 grantRead/grantPut on one bucket: the action families (GetObject*, List*, Abort* multipart) apply ' +
      'to that bucket and its objects only; no Delete is granted.',
  },
  {
    finding:
      /^Resource::arn:([a-z-]+|<AWS::Partition>):dynamodb:[a-z0-9-]+:(<AWS::AccountId>|\d{12}):table\/[^*]+\/index\/\*$/,
    reason:
      "The table's own global secondary indexes (gsi1): the ARN names the table; /index/* adds only its indexes.",
  },
  {
    finding:
      /^Resource::arn:([a-z-]+|<AWS::Partition>):timestream:[a-z0-9-]+:(<AWS::AccountId>|\d{12}):database\/<[A-Za-z0-9]+>\/table\/\*$/,
    reason:
      "The tables of the platform's one metrics database (the ARN names the database): one table per tenant, " +
      'created at runtime on its first write and dropped at offboarding, so no table name exists at deploy time.',
  },
];

const RESOURCE_STAR_REASON =
  'Resource "*" only for actions IAM gives no resource type (X-Ray PutTraceSegments/PutTelemetryRecords, ' +
  'timestream:DescribeEndpoints) and for kms:CreateKey/TagResource pinned to the tenant tag by aws:RequestTag.';

const BUCKET_OBJECTS_REASON =
  "The objects of one platform bucket (grantRead/grantPut on that bucket's ARN + /*).";

const BUCKET_PREFIX_REASON =
  "The objects under one fixed prefix of one platform bucket (e.g. Timestream's magnetic-rejection reports, " +
  'one key per report, named by Timestream at write time).';

/** Whether `logicalId` names an S3 bucket in the same stack as `node`. */
function isBucketOf(node: CfnResource, logicalId: string): boolean {
  const stack = Stack.of(node);
  return stack.node.findAll().some((c) => c instanceof CfnBucket && stack.getLogicalId(c) === logicalId);
}

const TENANT_KEYS_REASON =
  'Per-tenant KMS keys are created at onboarding, so no ARN exists at deploy time: the grant names this ' +
  "account's keys in the platform's regions and requires the tenant tag on the key (aws:ResourceTag).";

export const LAMBDA_RUNTIME_REASON =
  'Pinned to nodejs24.x on purpose: local tooling, tests and the Lambda runtime run the same Node major ' +
  '(DESIGN.md, Node); moving to a newer runtime is a deliberate upgrade, not a drift.';

/** Runs first at validation time and only acknowledges; it never reports anything itself. */
export class RuleShapedAcknowledgements implements IPolicyValidationPlugin {
  readonly name = 'PlatformAcknowledgements';
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    acknowledgeRuleShapedFindings(context.appConstruct);
    return { success: true, violations: [] };
  }
}

/** The checks every synth of this platform runs (infra/app.ts and the tests). */
export function addPlatformChecks(app: App): AwsSolutionsChecks {
  const awsSolutions = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(new RuleShapedAcknowledgements(), awsSolutions);
  return awsSolutions;
}

/** Acknowledge rule-shaped findings under `scope` (an App, Stage or Stack). */
export function acknowledgeRuleShapedFindings(scope: IConstruct): void {
  for (const node of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(node)) continue;
    if (node instanceof CfnPolicy || node instanceof CfnRole || node instanceof CfnManagedPolicy)
      acknowledgeWildcards(node);
    if (node instanceof CfnFunction) {
      const runtime = Stack.of(node).resolve(node.runtime);
      if (runtime === 'nodejs24.x')
        Validations.of(node).acknowledge({ id: 'AwsSolutions-L1', reason: LAMBDA_RUNTIME_REASON });
    }
  }
}

function acknowledgeWildcards(node: CfnResource): void {
  const result = rules.iam.IAMNoWildcardPermissions(node);
  if (!Array.isArray(result)) return;
  for (const finding of result as string[]) {
    const id = `AwsSolutions-IAM5[${finding}]`;
    if (finding === 'Resource::*') {
      if (starStatementsAreResourceless(node))
        Validations.of(node).acknowledge({ id, reason: RESOURCE_STAR_REASON });
      continue;
    }
    if (
      /^Resource::arn:([a-z-]+|<AWS::Partition>):kms:[a-z0-9-]+:(<AWS::AccountId>|\d{12}):key\/\*$/.test(
        finding,
      )
    ) {
      if (tenantKeyStatementsAreTagScoped(statementsOf(node)))
        Validations.of(node).acknowledge({ id, reason: TENANT_KEYS_REASON });
      continue;
    }
    const objects = /^Resource::<([A-Za-z0-9]+)\.Arn>\/\*$/.exec(finding);
    if (objects) {
      if (isBucketOf(node, objects[1]!))
        Validations.of(node).acknowledge({ id, reason: BUCKET_OBJECTS_REASON });
      continue;
    }
    const prefixed = /^Resource::<([A-Za-z0-9]+)\.Arn>\/[a-z0-9-]+\/\*$/.exec(finding);
    if (prefixed) {
      if (isBucketOf(node, prefixed[1]!))
        Validations.of(node).acknowledge({ id, reason: BUCKET_PREFIX_REASON });
      continue;
    }
    const allowance = IAM5_ALLOWANCES.find((a) => a.finding.test(finding));
    if (allowance) Validations.of(node).acknowledge({ id, reason: allowance.reason });
  }
}

function statementsOf(node: CfnResource): PolicyStatementJson[] {
  const stack = Stack.of(node);
  const documents: unknown[] = [];
  if (node instanceof CfnPolicy || node instanceof CfnManagedPolicy)
    documents.push(stack.resolve(node.policyDocument));
  if (node instanceof CfnRole) {
    const policies = (stack.resolve(node.policies) ?? []) as { PolicyDocument: unknown }[];
    documents.push(...policies.map((p) => p.PolicyDocument));
  }
  return documents.flatMap(
    (d) => ((d as { Statement?: PolicyStatementJson[] })?.Statement ?? []) as PolicyStatementJson[],
  );
}

/** True when every Allow statement with Resource "*" is one IAM gives no narrower form for. */
function starStatementsAreResourceless(node: CfnResource): boolean {
  return statementsOf(node).every((statement) => {
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    if (statement.Effect !== 'Allow' || !resources.includes('*')) return true;
    return starStatementIsJustified(statement);
  });
}
