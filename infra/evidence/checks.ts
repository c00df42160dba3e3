/**
 * SOC 2 evidence from the synthesized CloudFormation templates: each check reads the templates (not
 * the CDK code), names the Trust Services Criteria it supports, and lists what it looked at and
 * every resource that fails it. Pure functions over JSON, so tests can feed deliberately broken
 * templates.
 */

import { ENV } from '#adapters/aws/wiring';
import {
  ACTIONS_WITHOUT_RESOURCE_TYPES,
  exclusionGrantIsJustified,
  type PolicyStatementJson,
  starStatementIsJustified,
  WAF_COUNT_ACKNOWLEDGED,
} from '../acknowledgements';
import { DATA_CLASSIFICATION_TAG } from '../constructs/metadata-table';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
}
/** Templates by stack name. */
export type TemplateSet = Readonly<Record<string, CfnTemplate>>;

export const CRITERIA: Readonly<Record<string, string>> = {
  'CC6.1': 'Logical access security: data at rest is encrypted with customer-managed, rotated keys',
  'CC6.3': 'Access is least privilege: grants name resources, no wildcard administration',
  'CC6.6': 'Boundary protection: the public edge is filtered, rate-limited and not publicly writable',
  'CC6.7': 'Data in transit is encrypted (TLS enforced)',
  'CC7.2': 'System components are monitored: logs, traces, dashboards and alarms routed to on-call',
  'A1.2': 'Recovery: backups, point-in-time recovery, multi-region replicas, data retained on stack deletion',
  'C1.1':
    'Data residency: a tenant’s metric data, logs, archives and ingest state stay in its home region; only the metadata table is replicated (for failover)',
  'C1.2': 'Disposal: every store of confidential data has a bounded retention or expiry',
};

export interface CheckOutcome {
  /** What was examined, e.g. "14 log groups". */
  examined: string[];
  /** `stack/logicalId: why`, one per failing resource; empty when the check holds. */
  failures: string[];
}

/** What the templates alone do not say about the deployment. */
export interface EvidenceContext {
  /**
   * The deploying account when stacks are pinned to one (`-c account=…`): its id may appear literally
   * in ARNs. Unpinned templates name their own account as `AWS::AccountId`, so every literal account
   * id in a policy is another account's.
   */
  readonly account?: string;
}

export interface Check {
  readonly id: string;
  readonly title: string;
  readonly criteria: readonly string[];
  run(templates: TemplateSet, context: EvidenceContext): CheckOutcome;
}

interface Found {
  readonly stack: string;
  readonly id: string;
  readonly resource: CfnResource;
}

function resourcesOf(templates: TemplateSet, ...types: string[]): Found[] {
  const found: Found[] = [];
  for (const [stack, template] of Object.entries(templates))
    for (const [id, resource] of Object.entries(template.Resources ?? {}))
      if (types.includes(resource.Type)) found.push({ stack, id, resource });
  return found;
}

/** A JSON object inside a template: a resource's properties or anything below them. */
type CfnObject = Readonly<Record<string, unknown>>;
const isCfnObject = (value: unknown): value is CfnObject => typeof value === 'object' && value !== null;
/**
 * The value at `path` below `value` (array elements by index), or undefined where a step is missing or
 * not an object: optional chaining over JSON whose shape the checks do not trust.
 */
function at(value: unknown, ...path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isCfnObject(current)) return undefined;
    current = current[key];
  }
  return current;
}
/**
 * `at` below an entry of a list the check reads (a rule, a replica, a tag). The entry itself must be
 * there: a null one is a broken template, and throwing makes the check fail as "could not run".
 */
function entryAt(entry: unknown, ...path: readonly string[]): unknown {
  if (entry === null || entry === undefined) throw new TypeError(`a list entry is ${entry}`);
  return at(entry, ...path);
}
/** A resource's property at `path` (see `at`). */
const prop = (f: Found, ...path: readonly string[]) => at(f.resource.Properties, ...path);
const where = (f: Found) => `${f.stack}/${f.id}`;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isAwsManagedKey = (v: unknown) => typeof v === 'string' && v.startsWith('alias/aws/');
const hasCmk = (v: unknown) => v !== undefined && v !== null && v !== '' && !isAwsManagedKey(v);
/** A Ref or GetAtt to logical id `id`, anywhere inside `value`. */
const mentions = (value: unknown, id: string) => JSON.stringify(value ?? null).includes(`"${id}"`);

/** Runs `test` on each resource of the given types; `test` returns a reason when it fails. */
function perResource(
  templates: TemplateSet,
  types: string[],
  noun: string,
  test: (f: Found, templates: TemplateSet) => string | undefined,
): CheckOutcome {
  const found = resourcesOf(templates, ...types);
  const failures: string[] = [];
  for (const f of found) {
    const reason = test(f, templates);
    if (reason) failures.push(`${where(f)}: ${reason}`);
  }
  return { examined: [`${found.length} ${noun}`], failures };
}

/**
 * Timestream tables are one per tenant, created at runtime by the functions bound to the store
 * (shared/adapters/aws/timestream-tables.ts) with the magnetic retention their environment names
 * (memory retention is LIMITS' in code): every such function must name a bounded one.
 */
function timestreamTenantTableRetention(templates: TemplateSet): CheckOutcome {
  const bound = resourcesOf(templates, 'AWS::Lambda::Function').filter(
    (f) => prop(f, 'Environment', 'Variables', ENV.metricStore) === 'timestream',
  );
  const failures: string[] = [];
  for (const f of bound) {
    const days = Number(prop(f, 'Environment', 'Variables', ENV.timestreamMagneticRetentionDays));
    if (!Number.isInteger(days) || days < 1)
      failures.push(`${where(f)}: creates Timestream tenant tables with no bounded magnetic retention`);
  }
  return { examined: [`${bound.length} functions bound to Timestream (tenant tables' retention)`], failures };
}

function combine(...outcomes: CheckOutcome[]): CheckOutcome {
  return { examined: outcomes.flatMap((o) => o.examined), failures: outcomes.flatMap((o) => o.failures) };
}

function requireSome(
  outcome: CheckOutcome,
  templates: TemplateSet,
  type: string,
  noun: string,
): CheckOutcome {
  if (resourcesOf(templates, type).length > 0) return outcome;
  return { ...outcome, failures: [...outcome.failures, `no ${noun} found: nothing to show the control on`] };
}

type Statement = PolicyStatementJson;

function policyStatements(f: Found): Statement[] {
  const documents = [
    prop(f, 'PolicyDocument'),
    ...list(prop(f, 'Policies')).map((policy) => at(policy, 'PolicyDocument')),
  ].filter(Boolean);
  // IAM statements are taken as written: the checks below read only Effect, Action and Resource.
  return documents.flatMap((d) => list(at(d, 'Statement')) as Statement[]);
}

/** Every policy document a resource carries: identity policies, trust policies, resource and key policies. */
function allPolicyStatements(f: Found): Record<string, unknown>[] {
  const documents = [
    prop(f, 'PolicyDocument'),
    prop(f, 'KeyPolicy'),
    prop(f, 'AssumeRolePolicyDocument'),
    ...list(prop(f, 'Policies')).map((policy) => at(policy, 'PolicyDocument')),
  ].filter(Boolean);
  return documents.flatMap((d) => list(at(d, 'Statement')) as Record<string, unknown>[]);
}

/** Resources that hold IAM or resource policies (identity, trust, bucket, topic, queue and key policies). */
const POLICY_HOLDERS = [
  'AWS::IAM::Policy',
  'AWS::IAM::Role',
  'AWS::IAM::ManagedPolicy',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::KMS::Key',
];

/**
 * 12-digit account ids written literally anywhere inside `value`: in an ARN (`…:123456789012:…`,
 * also across Fn::Join pieces, which keep the colons) or alone (a principal `{"AWS": "123456789012"}`).
 */
function literalAccounts(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string')
      for (const m of v.matchAll(/(?:^|:)(\d{12})(?=:|$)/g)) found.add(m[1] as string);
    else if (Array.isArray(v)) for (const item of v) visit(item);
    else if (isCfnObject(v)) for (const item of Object.values(v)) visit(item);
  };
  visit(value);
  return [...found].sort();
}

/** WAF rules that count instead of acting, keyed `<rule>` or `<managed group>/<rule>` (`/*`: the whole group). */
function countingWafRules(rule: unknown): string[] {
  const name = String(entryAt(rule, 'Name'));
  const counting: string[] = [];
  if (isCfnObject(entryAt(rule, 'Action', 'Count'))) counting.push(name);
  const group = entryAt(rule, 'Statement', 'ManagedRuleGroupStatement');
  if (isCfnObject(group)) {
    const groupName = String(at(group, 'Name'));
    if (isCfnObject(entryAt(rule, 'OverrideAction', 'Count'))) counting.push(`${groupName}/*`);
    for (const o of list(at(group, 'RuleActionOverrides')))
      if (isCfnObject(entryAt(o, 'ActionToUse', 'Count')))
        counting.push(`${groupName}/${entryAt(o, 'Name')}`);
    // The older way to set a group's rule to count.
    for (const x of list(at(group, 'ExcludedRules'))) counting.push(`${groupName}/${entryAt(x, 'Name')}`);
  }
  return counting;
}

/** Logical ids referenced by a property whose key makes it a dead-letter destination. */
const DEAD_LETTER_KEY = /deadLetter|DeadLetter|OnFailure/;

/**
 * Queues used as dead-letter queues anywhere in a template: SQS redrive targets, Lambda on-failure
 * destinations and DLQs, EventBridge / Scheduler target DLQs, SNS subscription redrive policies.
 */
export function deadLetterQueueIds(template: CfnTemplate): Set<string> {
  const resources = template.Resources ?? {};
  const queues = Object.keys(resources).filter((id) => resources[id]?.Type === 'AWS::SQS::Queue');
  const found = new Set<string>();
  const visit = (value: unknown, underDeadLetterKey: boolean): void => {
    if (Array.isArray(value)) for (const v of value) visit(v, underDeadLetterKey);
    else if (value && typeof value === 'object')
      for (const [key, v] of Object.entries(value)) visit(v, underDeadLetterKey || DEAD_LETTER_KEY.test(key));
    else if (underDeadLetterKey && typeof value === 'string' && queues.includes(value)) found.add(value);
  };
  for (const resource of Object.values(resources)) visit(resource.Properties ?? {}, false);
  return found;
}

export const CHECKS: readonly Check[] = [
  {
    id: 'ENC-TABLES',
    title: 'DynamoDB tables and every replica are encrypted with a customer-managed KMS key',
    criteria: ['CC6.1'],
    run: (t) =>
      requireSome(
        perResource(t, ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'], 'DynamoDB tables', (f) => {
          if (
            prop(f, 'SSESpecification', 'SSEType') !== 'KMS' &&
            prop(f, 'SSESpecification', 'SSEEnabled') !== true
          )
            return 'SSE with KMS not enabled';
          if (f.resource.Type === 'AWS::DynamoDB::Table')
            return hasCmk(prop(f, 'SSESpecification', 'KMSMasterKeyId'))
              ? undefined
              : 'no customer-managed key';
          const bad = list(prop(f, 'Replicas')).filter(
            (r) => !hasCmk(entryAt(r, 'SSESpecification', 'KMSMasterKeyId')),
          );
          return bad.length > 0
            ? `replicas without a customer-managed key: ${bad.map((r) => entryAt(r, 'Region')).join(', ')}`
            : undefined;
        }),
        t,
        'AWS::DynamoDB::GlobalTable',
        'global table',
      ),
  },
  {
    id: 'ENC-KEYS-ROTATED',
    title:
      'Every customer-managed KMS key has automatic rotation (replica keys follow their primary; HMAC keys, ' +
      'which KMS cannot rotate, are excepted)',
    criteria: ['CC6.1'],
    run: (t) =>
      perResource(t, ['AWS::KMS::Key'], 'KMS keys', (f) =>
        // KMS rotates symmetric encryption keys only; the report-link HMAC key signs 30-day links.
        prop(f, 'EnableKeyRotation') === true || String(prop(f, 'KeySpec') ?? '').startsWith('HMAC_')
          ? undefined
          : 'automatic rotation is off',
      ),
  },
  {
    id: 'ENC-LOGS',
    title: 'Every CloudWatch log group is encrypted with a customer-managed key',
    criteria: ['CC6.1'],
    run: (t) =>
      perResource(t, ['AWS::Logs::LogGroup'], 'log groups', (f) =>
        hasCmk(prop(f, 'KmsKeyId')) ? undefined : 'no KmsKeyId',
      ),
  },
  {
    id: 'ENC-MESSAGING',
    title: 'SNS topics and SQS queues are encrypted with customer-managed keys',
    criteria: ['CC6.1'],
    run: (t) =>
      combine(
        perResource(t, ['AWS::SNS::Topic'], 'SNS topics', (f) =>
          hasCmk(prop(f, 'KmsMasterKeyId')) ? undefined : 'no customer-managed KmsMasterKeyId',
        ),
        perResource(t, ['AWS::SQS::Queue'], 'SQS queues', (f) =>
          hasCmk(prop(f, 'KmsMasterKeyId')) ? undefined : 'no customer-managed KmsMasterKeyId',
        ),
      ),
  },
  {
    id: 'ENC-STORES',
    title: 'Metric stores, secrets, backups and buckets are encrypted with customer-managed keys',
    criteria: ['CC6.1'],
    run: (t) =>
      combine(
        perResource(t, ['AWS::Timestream::Database'], 'Timestream databases', (f) =>
          hasCmk(prop(f, 'KmsKeyId')) ? undefined : 'no KmsKeyId',
        ),
        perResource(t, ['AWS::APS::Workspace'], 'AMP workspaces', (f) =>
          hasCmk(prop(f, 'KmsKeyArn')) ? undefined : 'no KmsKeyArn',
        ),
        perResource(t, ['AWS::SecretsManager::Secret'], 'secrets', (f) =>
          hasCmk(prop(f, 'KmsKeyId')) ? undefined : 'no KmsKeyId',
        ),
        perResource(t, ['AWS::Backup::BackupVault'], 'backup vaults', (f) =>
          hasCmk(prop(f, 'EncryptionKeyArn')) ? undefined : 'no EncryptionKeyArn',
        ),
        perResource(t, ['AWS::S3::Bucket'], 'S3 buckets', (f) => {
          const rules = list(prop(f, 'BucketEncryption', 'ServerSideEncryptionConfiguration'));
          const kms = rules.some((r) => {
            const algorithm = entryAt(r, 'ServerSideEncryptionByDefault', 'SSEAlgorithm');
            return (
              typeof algorithm === 'string' &&
              algorithm.startsWith('aws:kms') &&
              hasCmk(entryAt(r, 'ServerSideEncryptionByDefault', 'KMSMasterKeyID'))
            );
          });
          return kms ? undefined : 'not SSE-KMS with a customer-managed key';
        }),
      ),
  },
  {
    id: 'RESOURCE-POLICIES',
    title:
      'Resource policies (S3, SNS, SQS, KMS) grant nobody-in-particular nothing: an Allow to Principal "*" carries a condition',
    criteria: ['CC6.1', 'CC6.3'],
    run: (t) =>
      perResource(
        t,
        ['AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy', 'AWS::KMS::Key'],
        'resource policies',
        (f) => {
          const document = prop(f, 'PolicyDocument') ?? prop(f, 'KeyPolicy');
          const open = (list(at(document, 'Statement')) as Record<string, unknown>[]).filter((s) => {
            const principal = JSON.stringify(s.Principal ?? null);
            const anyone = principal === '"*"' || principal === '{"AWS":"*"}';
            const conditions = s.Condition as Record<string, unknown> | undefined;
            return s.Effect === 'Allow' && anyone && (!conditions || Object.keys(conditions).length === 0);
          });
          return open.length > 0
            ? `allows Principal "*" without a condition (${open.map((s) => JSON.stringify(s.Action)).join(', ')})`
            : undefined;
        },
      ),
  },
  {
    id: 'TLS-ENFORCED',
    title: 'Buckets, topics and queues refuse requests without TLS; custom domains require TLS 1.2',
    criteria: ['CC6.7'],
    run: (t) => {
      const policies = resourcesOf(
        t,
        'AWS::S3::BucketPolicy',
        'AWS::SNS::TopicPolicy',
        'AWS::SQS::QueuePolicy',
      );
      const deniesInsecure = (target: Found) =>
        policies.some(
          (p) =>
            p.stack === target.stack &&
            mentions(prop(p, 'Bucket') ?? prop(p, 'Topics') ?? prop(p, 'Queues'), target.id) &&
            policyStatements(p).some(
              (s) => s.Effect === 'Deny' && JSON.stringify(s).includes('"aws:SecureTransport":"false"'),
            ),
        );
      return combine(
        perResource(
          t,
          ['AWS::S3::Bucket', 'AWS::SNS::Topic', 'AWS::SQS::Queue'],
          'buckets, topics and queues',
          (f) => (deniesInsecure(f) ? undefined : 'no policy statement denying aws:SecureTransport=false'),
        ),
        perResource(t, ['AWS::ApiGateway::DomainName'], 'API custom domains', (f) =>
          prop(f, 'SecurityPolicy') === 'TLS_1_2'
            ? undefined
            : `security policy ${prop(f, 'SecurityPolicy') ?? 'TLS_1_0 (default)'}`,
        ),
      );
    },
  },
  {
    id: 'EDGE-WAF',
    title: 'Every API stage is behind a WAF web ACL with AWS managed rules and a per-IP rate rule',
    criteria: ['CC6.6'],
    run: (t) => {
      const acls = resourcesOf(t, 'AWS::WAFv2::WebACL');
      const associations = resourcesOf(t, 'AWS::WAFv2::WebACLAssociation');
      const aclFailures = acls.flatMap((acl) => {
        const rules = list(prop(acl, 'Rules'));
        const out: string[] = [];
        if (!rules.some((r) => entryAt(r, 'Statement', 'RateBasedStatement', 'AggregateKeyType') === 'IP'))
          out.push(`${where(acl)}: no rate-based rule per source IP`);
        if (!rules.some((r) => entryAt(r, 'Statement', 'ManagedRuleGroupStatement', 'VendorName') === 'AWS'))
          out.push(`${where(acl)}: no AWS managed rule group`);
        return out;
      });
      const stages = perResource(t, ['AWS::ApiGateway::Stage'], 'API stages', (stage) => {
        const association = associations.find(
          (a) => a.stack === stage.stack && mentions(prop(a, 'ResourceArn'), stage.id),
        );
        if (!association) return 'no WAF web ACL association';
        const acl = acls.find(
          (a) => a.stack === stage.stack && mentions(prop(association, 'WebACLArn'), a.id),
        );
        return acl ? undefined : 'associated web ACL not found in the template';
      });
      return requireSome(
        {
          examined: [...stages.examined, `${acls.length} web ACLs`],
          failures: [...stages.failures, ...aclFailures],
        },
        t,
        'AWS::ApiGateway::Stage',
        'API stage',
      );
    },
  },
  {
    id: 'EDGE-THROTTLE-LOGS',
    title: 'API stages throttle requests and write access logs',
    criteria: ['CC6.6', 'CC7.2'],
    run: (t) =>
      perResource(t, ['AWS::ApiGateway::Stage'], 'API stages', (f) => {
        if (!prop(f, 'AccessLogSetting', 'DestinationArn')) return 'no access log destination';
        const throttled = list(prop(f, 'MethodSettings')).some(
          (m) => typeof entryAt(m, 'ThrottlingRateLimit') === 'number',
        );
        return throttled ? undefined : 'no throttling in method settings';
      }),
  },
  {
    id: 'EDGE-NO-PUBLIC-BUCKETS',
    title: 'Every S3 bucket blocks all public access',
    criteria: ['CC6.6'],
    run: (t) =>
      perResource(t, ['AWS::S3::Bucket'], 'S3 buckets', (f) => {
        const blocks = (setting: string) => prop(f, 'PublicAccessBlockConfiguration', setting);
        const all =
          blocks('BlockPublicAcls') &&
          blocks('BlockPublicPolicy') &&
          blocks('IgnorePublicAcls') &&
          blocks('RestrictPublicBuckets');
        return all ? undefined : 'public access is not fully blocked';
      }),
  },
  {
    id: 'IAM-LEAST-PRIVILEGE',
    title: 'No IAM statement allows "*" actions or "*" resources where IAM defines a resource type',
    criteria: ['CC6.3'],
    run: (t) =>
      perResource(
        t,
        ['AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::IAM::ManagedPolicy'],
        'IAM policies and roles',
        (f) => {
          for (const s of policyStatements(f)) {
            if (s.Effect !== 'Allow') continue;
            const actions = list(s.Action);
            const wildcardAction = actions.find((a) => a === '*' || /^[a-z0-9-]+:\*$/.test(a));
            if (wildcardAction) return `allows ${wildcardAction}`;
            if (list(s.Resource).includes('*') && !starStatementIsJustified(s))
              return `Resource "*" for ${actions.filter((a) => !ACTIONS_WITHOUT_RESOURCE_TYPES.has(a)).join(', ')}`;
          }
          return undefined;
        },
      ),
  },
  {
    id: 'IAM-NO-NOT-ELEMENTS',
    title:
      'No policy allows by exclusion: no Allow with NotAction, NotResource or NotPrincipal (it grants everything not listed, including what AWS adds later)',
    criteria: ['CC6.3'],
    run: (t) => {
      let guardrails = 0;
      const justified: string[] = [];
      const outcome = perResource(t, POLICY_HOLDERS, 'IAM and resource policies', (f) => {
        const excluding = allPolicyStatements(f).filter(
          (s) => 'NotAction' in s || 'NotResource' in s || 'NotPrincipal' in s,
        );
        // A Deny by exclusion narrows what other statements grant: a guardrail, counted, not a grant.
        guardrails += excluding.filter((s) => s.Effect === 'Deny').length;
        const grants = excluding.filter((s) => {
          if (s.Effect === 'Deny') return false;
          const reason = exclusionGrantIsJustified(s);
          if (reason) justified.push(`${where(f)} (${reason})`);
          return !reason;
        });
        return grants.length > 0
          ? `allows by exclusion: ${grants
              .map((s) =>
                ['NotAction', 'NotResource', 'NotPrincipal']
                  .filter((k) => k in s)
                  .map((k) => `${k} ${JSON.stringify(s[k])}`)
                  .join(' '),
              )
              .join('; ')}`
          : undefined;
      });
      return {
        ...outcome,
        examined: [
          ...outcome.examined,
          `${guardrails} Deny statements by exclusion`,
          `${justified.length} Allow statements by exclusion with a written reason${justified.length > 0 ? `: ${justified.join('; ')}` : ''}`,
        ],
      };
    },
  },
  {
    id: 'IAM-SAME-ACCOUNT',
    title:
      'Policies name principals and resources of the deploying account only: no other account’s ARN or id in a policy, Lambda permission or EventBridge target',
    criteria: ['CC6.3'],
    run: (t, context) => {
      const foreign = (value: unknown) => literalAccounts(value).filter((a) => a !== context.account);
      return combine(
        perResource(t, POLICY_HOLDERS, 'IAM and resource policies', (f) => {
          const accounts = [
            ...new Set(
              allPolicyStatements(f).flatMap((s) =>
                foreign([s.Principal, s.NotPrincipal, s.Resource, s.NotResource]),
              ),
            ),
          ];
          return accounts.length > 0 ? `names account(s) ${accounts.join(', ')}` : undefined;
        }),
        perResource(t, ['AWS::Lambda::Permission'], 'Lambda permissions', (f) => {
          const accounts = foreign([prop(f, 'Principal'), prop(f, 'SourceAccount'), prop(f, 'SourceArn')]);
          return accounts.length > 0 ? `lets account(s) ${accounts.join(', ')} invoke` : undefined;
        }),
        perResource(t, ['AWS::Events::Rule'], 'EventBridge rules', (f) => {
          const accounts = foreign(list(prop(f, 'Targets')).map((target) => entryAt(target, 'Arn')));
          return accounts.length > 0 ? `sends events to account(s) ${accounts.join(', ')}` : undefined;
        }),
      );
    },
  },
  {
    id: 'EDGE-WAF-COUNT',
    title:
      'WAF rules block: a rule (or a managed group’s rule) in count mode only where an acknowledgement gives the reason',
    criteria: ['CC6.6'],
    run: (t) => {
      const acknowledged: string[] = [];
      const outcome = perResource(
        t,
        ['AWS::WAFv2::WebACL', 'AWS::WAFv2::RuleGroup'],
        'WAF web ACLs and rule groups',
        (f) => {
          const counting = list(prop(f, 'Rules')).flatMap(countingWafRules);
          for (const key of counting.filter((k) => WAF_COUNT_ACKNOWLEDGED[k] !== undefined))
            acknowledged.push(`${where(f)} ${key} (${WAF_COUNT_ACKNOWLEDGED[key]})`);
          const bare = counting.filter((k) => WAF_COUNT_ACKNOWLEDGED[k] === undefined);
          return bare.length > 0 ? `rules in count mode without a reason: ${bare.join(', ')}` : undefined;
        },
      );
      return {
        ...outcome,
        examined: [
          ...outcome.examined,
          `${acknowledged.length} rules counting with a written reason${acknowledged.length > 0 ? `: ${acknowledged.join('; ')}` : ''}`,
        ],
      };
    },
  },
  {
    id: 'IAM-NO-ADMIN',
    title: 'No role carries an administrator or power-user managed policy, and there are no IAM users',
    criteria: ['CC6.3'],
    run: (t) =>
      combine(
        perResource(t, ['AWS::IAM::Role'], 'IAM roles', (f) => {
          const arns = JSON.stringify(prop(f, 'ManagedPolicyArns') ?? []);
          return /AdministratorAccess|PowerUserAccess|IAMFullAccess/.test(arns)
            ? 'administrative managed policy'
            : undefined;
        }),
        perResource(t, ['AWS::IAM::User'], 'IAM users', () => 'IAM user defined (use roles)'),
      ),
  },
  {
    id: 'MON-FUNCTIONS',
    title: 'Every platform function has its own encrypted log group and active X-Ray tracing',
    criteria: ['CC7.2'],
    run: (t) =>
      perResource(t, ['AWS::Lambda::Function'], 'Lambda functions', (f) => {
        const handler = prop(f, 'Handler');
        // CDK's cross-region reference providers are raw singleton handlers, not platform functions.
        if (typeof handler === 'string' && handler.startsWith('__entrypoint__')) return undefined;
        if (!prop(f, 'LoggingConfig', 'LogGroup')) return 'no explicit log group';
        return prop(f, 'TracingConfig', 'Mode') === 'Active' ? undefined : 'tracing is not active';
      }),
  },
  {
    id: 'MON-ALARMS',
    title: 'Each region has a dashboard and alarms, and every alarm notifies an SNS topic',
    criteria: ['CC7.2'],
    run: (t) => {
      const regional = Object.entries(t).filter(([, tpl]) =>
        Object.values(tpl.Resources ?? {}).some((r) => r.Type === 'AWS::ApiGateway::RestApi'),
      );
      const failures: string[] = [];
      for (const [stack, tpl] of regional) {
        const types = Object.values(tpl.Resources ?? {}).map((r) => r.Type);
        if (!types.includes('AWS::CloudWatch::Dashboard')) failures.push(`${stack}: no dashboard`);
        if (!types.includes('AWS::CloudWatch::Alarm')) failures.push(`${stack}: no alarms`);
      }
      const alarms = perResource(t, ['AWS::CloudWatch::Alarm'], 'alarms', (f, all) => {
        const actions = list(prop(f, 'AlarmActions'));
        const topics = Object.entries(all[f.stack]?.Resources ?? {})
          .filter(([, r]) => r.Type === 'AWS::SNS::Topic')
          .map(([id]) => id);
        return actions.some((a) => topics.some((topic) => mentions(a, topic)))
          ? undefined
          : 'no SNS alarm action';
      });
      return requireSome(
        {
          examined: [`${regional.length} regional stacks`, ...alarms.examined],
          failures: [...failures, ...alarms.failures],
        },
        t,
        'AWS::CloudWatch::Alarm',
        'alarm',
      );
    },
  },
  {
    id: 'MON-DLQ-ALARMS',
    title: 'Every queue has a dead-letter queue, or is a terminal (dead-letter) queue whose depth is alarmed',
    criteria: ['CC7.2'],
    run: (t) => {
      const dlqIds = new Set(
        Object.entries(t).flatMap(([stack, template]) =>
          [...deadLetterQueueIds(template)].map((id) => `${stack}/${id}`),
        ),
      );
      const alarms = resourcesOf(t, 'AWS::CloudWatch::Alarm');
      const alarmed = (q: Found) =>
        alarms.some(
          (a) => a.stack === q.stack && mentions(prop(a, 'Dimensions') ?? prop(a, 'Metrics'), q.id),
        );
      return perResource(t, ['AWS::SQS::Queue'], 'SQS queues', (q) => {
        if (prop(q, 'RedrivePolicy')) return undefined;
        // A queue without a redrive policy is terminal: a dead-letter queue, which must be alarmed.
        if (alarmed(q)) return undefined;
        return dlqIds.has(where(q))
          ? 'dead-letter queue without an alarm'
          : 'neither has a dead-letter queue nor is an alarmed dead-letter queue';
      });
    },
  },
  {
    id: 'BAK-TABLES',
    title:
      'Tables have point-in-time recovery in every replica; confidential tables also have deletion protection, ' +
      'replicas in two or more regions and an AWS Backup plan',
    criteria: ['A1.2'],
    run: (t) => {
      const selections = resourcesOf(t, 'AWS::Backup::BackupSelection');
      let confidential = 0;
      const tables = perResource(
        t,
        ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'],
        'DynamoDB tables',
        (f) => {
          const pitr = ['PointInTimeRecoverySpecification', 'PointInTimeRecoveryEnabled'];
          if (f.resource.Type === 'AWS::DynamoDB::Table') return prop(f, ...pitr) ? undefined : 'PITR off';
          const replicas = list(prop(f, 'Replicas'));
          const noPitr = replicas.filter((r) => !entryAt(r, ...pitr));
          if (noPitr.length > 0) return `PITR off in ${noPitr.map((r) => entryAt(r, 'Region')).join(', ')}`;
          const classification = at(
            replicas
              .flatMap((r) => list(entryAt(r, 'Tags') ?? []))
              .find((tag) => entryAt(tag, 'Key') === DATA_CLASSIFICATION_TAG),
            'Value',
          );
          if (classification === undefined) return `no ${DATA_CLASSIFICATION_TAG} tag`;
          if (classification !== 'confidential') return undefined;
          confidential++;
          const unprotected = replicas.filter((r) => entryAt(r, 'DeletionProtectionEnabled') !== true);
          if (unprotected.length > 0)
            return `deletion protection off in ${unprotected.map((r) => entryAt(r, 'Region')).join(', ')}`;
          if (replicas.length < 2) return 'fewer than two regions hold a replica';
          const backedUp = selections.some(
            (s) => s.stack === f.stack && mentions(prop(s, 'BackupSelection', 'Resources'), f.id),
          );
          return backedUp ? undefined : 'no AWS Backup selection covers it';
        },
      );
      if (confidential === 0)
        tables.failures.push('no table classified confidential: nothing to show the control on');
      return tables;
    },
  },
  {
    id: 'BAK-RETAINED',
    title: 'Stores of customer data and their keys survive stack deletion (DeletionPolicy Retain)',
    criteria: ['A1.2'],
    run: (t) =>
      perResource(
        t,
        [
          'AWS::DynamoDB::GlobalTable',
          'AWS::Timestream::Database',
          'AWS::Timestream::Table',
          'AWS::APS::Workspace',
          'AWS::KMS::Key',
          'AWS::KMS::ReplicaKey',
          'AWS::Backup::BackupVault',
        ],
        'data stores, vaults and keys',
        (f) =>
          f.resource.DeletionPolicy === 'Retain'
            ? undefined
            : `DeletionPolicy ${f.resource.DeletionPolicy ?? 'Delete'}`,
      ),
  },
  {
    id: 'DISP-RETENTION',
    title: 'Logs, metrics, messages, backups and objects expire after a bounded retention',
    criteria: ['C1.2'],
    run: (t) =>
      combine(
        perResource(t, ['AWS::Logs::LogGroup'], 'log groups', (f) =>
          typeof prop(f, 'RetentionInDays') === 'number' ? undefined : 'kept forever (no RetentionInDays)',
        ),
        perResource(t, ['AWS::Timestream::Table'], 'Timestream tables', (f) =>
          prop(f, 'RetentionProperties', 'MemoryStoreRetentionPeriodInHours') &&
          prop(f, 'RetentionProperties', 'MagneticStoreRetentionPeriodInDays')
            ? undefined
            : 'no retention',
        ),
        timestreamTenantTableRetention(t),
        perResource(t, ['AWS::APS::Workspace'], 'AMP workspaces', (f) =>
          prop(f, 'WorkspaceConfiguration', 'RetentionPeriodInDays') ? undefined : 'no retention period',
        ),
        perResource(t, ['AWS::SQS::Queue'], 'SQS queues', (f) =>
          prop(f, 'MessageRetentionPeriod') ? undefined : 'default retention not stated',
        ),
        perResource(t, ['AWS::Backup::BackupPlan'], 'backup plans', (f) => {
          const rules = list(prop(f, 'BackupPlan', 'BackupPlanRule'));
          const unbounded = rules.filter((r) => !entryAt(r, 'Lifecycle', 'DeleteAfterDays'));
          return unbounded.length > 0
            ? `rules kept forever: ${unbounded.map((r) => entryAt(r, 'RuleName')).join(', ')}`
            : undefined;
        }),
        perResource(t, ['AWS::S3::Bucket'], 'S3 buckets', (f) => {
          // Disposal is about customer data: a bucket classified public (the console's files) has none.
          if (
            list(prop(f, 'Tags')).some(
              (tag) => entryAt(tag, 'Key') === 'DataClassification' && entryAt(tag, 'Value') === 'public',
            )
          )
            return undefined;
          const rules = list(prop(f, 'LifecycleConfiguration', 'Rules'));
          return rules.some(
            (r) =>
              entryAt(r, 'Status') === 'Enabled' &&
              (entryAt(r, 'ExpirationInDays') || entryAt(r, 'ExpirationDate')),
          )
            ? undefined
            : 'no expiring lifecycle rule';
        }),
      ),
  },
  {
    id: 'RESIDENCY',
    title:
      'Tenant data stores are regional: no S3 replication, no replicas of any table but the metadata table; metric stores (AMP, Timestream) are regional services; the 421 guard refuses a tenant outside its home (shared/domain/region.ts)',
    criteria: ['C1.1'],
    run: (t) =>
      requireSome(
        combine(
          perResource(t, ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table'], 'DynamoDB tables', (f) => {
            const replicas = list(prop(f, 'Replicas')).length;
            // The metadata table (tenants, credentials, alert state) is global by design: failover.
            if (replicas <= 1 || f.id.startsWith('Metadata')) return undefined;
            return `tenant data replicated to ${replicas} regions (only the metadata table may be)`;
          }),
          perResource(t, ['AWS::S3::Bucket'], 'S3 buckets', (f) =>
            prop(f, 'ReplicationConfiguration') ? 'replicates objects to another region' : undefined,
          ),
          {
            examined: [
              `${resourcesOf(t, 'AWS::APS::Workspace', 'AWS::Timestream::Database').length} regional metric stores`,
            ],
            failures: [],
          },
        ),
        t,
        'AWS::DynamoDB::GlobalTable',
        'DynamoDB tables',
      ),
  },
];

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly criteria: readonly string[];
  readonly holds: boolean;
  readonly examined: readonly string[];
  readonly failures: readonly string[];
}

export interface CriterionResult {
  readonly id: string;
  readonly description: string;
  readonly holds: boolean;
  readonly checks: readonly string[];
}

/**
 * What the templates cannot show, so the report never reads as saying more than it does: each entry
 * names what lies outside the templates, why, and where an auditor would look instead.
 */
export const CANNOT_SHOW: readonly { readonly topic: string; readonly why: string }[] = [
  {
    topic: 'Log groups created outside the templates',
    why:
      'API Gateway creates its execution-log groups (API-Gateway-Execution-Logs_<api id>/<stage>) itself, ' +
      'and a function that logs before its configured log group exists gets /aws/lambda/<name>: neither is in ' +
      'a template, so their encryption and retention are not shown here. Check them with ' +
      '`aws logs describe-log-groups` in each region (RUNBOOK).',
  },
  {
    topic: 'Metric-store backups',
    why:
      'AMP workspaces and Timestream tables have no backup in the templates (AWS Backup covers the metadata ' +
      'table only); metric data of a lost region is accepted as lost (RUNBOOK, region failover). Nothing here ' +
      'shows a copy of metric data.',
  },
  {
    topic: 'The default execute-api endpoint’s TLS policy',
    why:
      'TLS-ENFORCED shows the custom domains’ TLS 1.2 policy; the default https://<id>.execute-api.<region>.' +
      'amazonaws.com endpoint stays enabled and its TLS floor is set by API Gateway, not by the templates.',
  },
  {
    topic: 'Resources the functions create at runtime',
    why:
      'Per-tenant KMS keys (rotation is turned on in code: shared/adapters/aws/kms-key-service.ts) and ' +
      'per-tenant Timestream tables (their retention is checked through the functions’ environment) are not ' +
      'template resources.',
  },
  {
    topic: 'Drift and account-level controls',
    why:
      'The report reads what would be deployed, not what is: changes made in the console, CloudTrail, ' +
      'GuardDuty, AWS Config and IAM Identity Center settings are outside the templates.',
  },
];

export interface EvidenceReport {
  readonly generatedAt: string;
  readonly stacks: readonly string[];
  readonly holds: boolean;
  readonly criteria: readonly CriterionResult[];
  readonly checks: readonly CheckResult[];
  readonly cannotShow: typeof CANNOT_SHOW;
}

export function evaluate(
  templates: TemplateSet,
  now: Date = new Date(),
  checks: readonly Check[] = CHECKS,
  context: EvidenceContext = {},
): EvidenceReport {
  const results: CheckResult[] = checks.map((check) => {
    let outcome: CheckOutcome;
    try {
      outcome = check.run(templates, context);
    } catch (error) {
      outcome = { examined: [], failures: [`check could not run: ${(error as Error).message}`] };
    }
    return {
      id: check.id,
      title: check.title,
      criteria: check.criteria,
      holds: outcome.failures.length === 0,
      ...outcome,
    };
  });
  const criteria = Object.entries(CRITERIA).map(([id, description]) => {
    const mine = results.filter((r) => r.criteria.includes(id));
    // A criterion with no check proves nothing: it does not hold.
    return {
      id,
      description,
      holds: mine.length > 0 && mine.every((r) => r.holds),
      checks: mine.map((r) => r.id),
    };
  });
  return {
    generatedAt: now.toISOString(),
    stacks: Object.keys(templates).sort(),
    holds: results.every((r) => r.holds) && criteria.every((c) => c.holds),
    criteria,
    checks: results,
    cannotShow: CANNOT_SHOW,
  };
}

export function renderMarkdown(report: EvidenceReport): string {
  const mark = (ok: boolean) => (ok ? 'HOLDS' : '**DOES NOT HOLD**');
  const lines = [
    '# SOC 2 evidence: infrastructure controls in the synthesized templates',
    '',
    `Generated ${report.generatedAt} from ${report.stacks.length} CloudFormation templates ` +
      `(\`npm run evidence\`). Overall: ${mark(report.holds)}.`,
    '',
    '## Trust Services Criteria',
    '',
    '| Criterion | What the templates must show | Result | Checks |',
    '|---|---|---|---|',
    ...report.criteria.map(
      (c) => `| ${c.id} | ${c.description} | ${mark(c.holds)} | ${c.checks.join(', ')} |`,
    ),
    '',
    '## Checks',
    '',
  ];
  for (const check of report.checks) {
    lines.push(`### ${check.id}: ${check.title}`, '');
    lines.push(`Criteria: ${check.criteria.join(', ')}. Result: ${mark(check.holds)}.`, '');
    lines.push(`Examined: ${check.examined.join('; ') || 'nothing'}.`, '');
    if (check.failures.length > 0) {
      lines.push('Failures:', '');
      for (const failure of check.failures) lines.push(`- ${failure}`);
      lines.push('');
    }
  }
  lines.push('## What this report cannot show', '');
  for (const limit of report.cannotShow) lines.push(`- **${limit.topic}.** ${limit.why}`);
  lines.push('', '## Stacks', '', ...report.stacks.map((s) => `- ${s}`), '');
  return lines.join('\n');
}
