import { beforeAll, describe, expect, it } from 'vitest';
import {
  CANNOT_SHOW,
  type CfnTemplate,
  CRITERIA,
  evaluate,
  renderMarkdown,
  type TemplateSet,
} from '../../infra/evidence/checks';
import { STACK_PREFIX } from '../../infra/platform';
import { synthPlatform } from './support';

type MutableObject = Record<string, unknown>;
type Mutable = {
  Resources: Record<string, { Type: string; Properties: MutableObject; DeletionPolicy?: string }>;
};

const isObject = (value: unknown): value is MutableObject => typeof value === 'object' && value !== null;

/** The value at `path` below `value` (array elements by index), or undefined where a step is missing. */
const valueAt = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((current, key) => (isObject(current) ? current[key] : undefined), value);

/** The JSON object at `path` below `value`; throws where there is none. */
function objectAt(value: unknown, ...path: string[]): MutableObject {
  const found = valueAt(value, ...path);
  if (!isObject(found)) throw new Error(`no object at ${path.join('.')}`);
  return found;
}

/** The JSON array at `path` below `value`; throws where there is none. */
function arrayAt(value: unknown, ...path: string[]): unknown[] {
  const found = valueAt(value, ...path);
  if (!Array.isArray(found)) throw new Error(`no array at ${path.join('.')}`);
  return found;
}

let templates: TemplateSet;
beforeAll(() => {
  const { assembly } = synthPlatform(undefined, { nag: false });
  templates = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template as CfnTemplate]));
});

/** A deep copy of the synthesized templates with `mutate` applied to one stack. */
function broken(stack: string, mutate: (t: Mutable) => void): TemplateSet {
  const copy = structuredClone(templates) as Record<string, Mutable>;
  mutate(copy[stack]!);
  return copy as TemplateSet;
}

function firstOf(t: Mutable, type: string): [string, Mutable['Resources'][string]] {
  const entry = Object.entries(t.Resources).find(([, r]) => r.Type === type);
  if (!entry) throw new Error(`no ${type} in template`);
  return entry;
}

const regional = `${STACK_PREFIX}-eu-west-1`;
const globalTable = `${STACK_PREFIX}-GlobalTable`;

function expectFails(set: TemplateSet, checkId: string, criterion: string, failure: RegExp) {
  const report = evaluate(set);
  const check = report.checks.find((c) => c.id === checkId)!;
  expect(check.holds).toBe(false);
  expect(check.failures.join('\n')).toMatch(failure);
  expect(report.criteria.find((c) => c.id === criterion)!.holds).toBe(false);
  expect(report.holds).toBe(false);
}

describe('SOC 2 evidence on the synthesized platform', () => {
  it('finds every criterion holding, each backed by at least one check that examined something', () => {
    const report = evaluate(templates);
    expect(report.checks.filter((c) => !c.holds).map((c) => `${c.id}: ${c.failures.join('; ')}`)).toEqual([]);
    expect(report.criteria.map((c) => c.id)).toEqual(Object.keys(CRITERIA));
    for (const c of report.criteria) {
      expect(c.holds, c.id).toBe(true);
      expect(c.checks.length, c.id).toBeGreaterThan(0);
    }
    expect(report.holds).toBe(true);
    // The one rule the platform counts instead of blocking is listed with its reason.
    expect(report.checks.find((c) => c.id === 'EDGE-WAF-COUNT')!.examined.join('\n')).toMatch(
      /rules counting with a written reason: .*AWSManagedRulesCommonRuleSet\/SizeRestrictions_BODY \(metric batches/,
    );
    // The notifier's SMS grant (sns:Publish on anything but SNS resources) is the one Allow by exclusion.
    expect(report.checks.find((c) => c.id === 'IAM-NO-NOT-ELEMENTS')!.examined.join('\n')).toMatch(
      /5 Allow statements by exclusion with a written reason: .*AlertNotifierRole.*\(sns:Publish to phone numbers/,
    );
    const md = renderMarkdown(report);
    for (const id of ['CC6.1', 'CC6.3', 'CC6.6', 'CC6.7', 'CC7.2', 'A1.2', 'C1.2'])
      expect(md).toContain(`| ${id} |`);
  });
});

describe('SOC 2 evidence on deliberately broken templates', () => {
  it('CC6.1: a log group without a customer-managed key', () => {
    const set = broken(regional, (t) => {
      delete firstOf(t, 'AWS::Logs::LogGroup')[1].Properties.KmsKeyId;
    });
    expectFails(set, 'ENC-LOGS', 'CC6.1', /no KmsKeyId/);
  });

  it('CC6.1: a queue on the AWS-managed SQS key, a key without rotation, a replica without a CMK', () => {
    expectFails(
      broken(regional, (t) => {
        firstOf(t, 'AWS::SQS::Queue')[1].Properties.KmsMasterKeyId = 'alias/aws/sqs';
      }),
      'ENC-MESSAGING',
      'CC6.1',
      /customer-managed/,
    );
    expectFails(
      broken(regional, (t) => {
        firstOf(t, 'AWS::KMS::Key')[1].Properties.EnableKeyRotation = false;
      }),
      'ENC-KEYS-ROTATED',
      'CC6.1',
      /rotation is off/,
    );
    expectFails(
      broken(globalTable, (t) => {
        delete objectAt(firstOf(t, 'AWS::DynamoDB::GlobalTable')[1].Properties, 'Replicas', '1')
          .SSESpecification;
      }),
      'ENC-TABLES',
      'CC6.1',
      /replicas without a customer-managed key/,
    );
  });

  it('CC6.3: a statement granting s3:GetObject on "*", or a service wildcard action', () => {
    const withStatement = (statement: MutableObject) =>
      broken(regional, (t) => {
        arrayAt(firstOf(t, 'AWS::IAM::Policy')[1].Properties, 'PolicyDocument', 'Statement').push(statement);
      });
    expectFails(
      withStatement({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
      'IAM-LEAST-PRIVILEGE',
      'CC6.3',
      /Resource "\*" for s3:GetObject/,
    );
    expectFails(
      withStatement({
        Effect: 'Allow',
        Action: 'dynamodb:*',
        Resource: 'arn:aws:dynamodb:eu-west-1:123456789012:table/x',
      }),
      'IAM-LEAST-PRIVILEGE',
      'CC6.3',
      /allows dynamodb:\*/,
    );
  });

  it('CC6.6: an API stage without its WAF association, a web ACL without the rate rule', () => {
    expectFails(
      broken(regional, (t) => {
        delete t.Resources[firstOf(t, 'AWS::WAFv2::WebACLAssociation')[0]];
      }),
      'EDGE-WAF',
      'CC6.6',
      /no WAF web ACL association/,
    );
    expectFails(
      broken(regional, (t) => {
        const acl = firstOf(t, 'AWS::WAFv2::WebACL')[1];
        acl.Properties.Rules = arrayAt(acl.Properties, 'Rules').filter(
          (r) => !objectAt(r, 'Statement').RateBasedStatement,
        );
      }),
      'EDGE-WAF',
      'CC6.6',
      /no rate-based rule per source IP/,
    );
  });

  it('CC6.6 and CC6.7: a public bucket without TLS enforcement or KMS', () => {
    const set = broken(regional, (t) => {
      t.Resources.LeakyBucket = { Type: 'AWS::S3::Bucket', Properties: {} };
    });
    expectFails(set, 'EDGE-NO-PUBLIC-BUCKETS', 'CC6.6', /public access is not fully blocked/);
    expectFails(
      set,
      'TLS-ENFORCED',
      'CC6.7',
      /LeakyBucket: no policy statement denying aws:SecureTransport=false/,
    );
    expectFails(set, 'ENC-STORES', 'CC6.1', /LeakyBucket: not SSE-KMS/);
    expectFails(set, 'DISP-RETENTION', 'C1.2', /LeakyBucket: no expiring lifecycle rule/);
  });

  it('C1.2: a function bound to Timestream without the retention its tenant tables are created with', () => {
    expectFails(
      broken(regional, (t) => {
        const [id, ingest] = Object.entries(t.Resources).find(
          ([, r]) =>
            r.Type === 'AWS::Lambda::Function' &&
            valueAt(r.Properties, 'Environment', 'Variables', 'METRIC_STORE'),
        )!;
        const variables = objectAt(ingest.Properties, 'Environment', 'Variables');
        expect(variables.METRIC_STORE, id).toBe('timestream');
        delete variables.TIMESTREAM_MAGNETIC_RETENTION_DAYS;
      }),
      'DISP-RETENTION',
      'C1.2',
      /creates Timestream tenant tables with no bounded magnetic retention/,
    );
  });

  it('CC6.1: a planted Principal "*" without a condition in a topic policy or a key policy fails', () => {
    expectFails(
      broken(regional, (t) => {
        (
          firstOf(t, 'AWS::SNS::TopicPolicy')[1].Properties.PolicyDocument as { Statement: unknown[] }
        ).Statement.push({
          Effect: 'Allow',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: '*',
        });
      }),
      'RESOURCE-POLICIES',
      'CC6.1',
      /allows Principal "\*" without a condition \("sns:Publish"\)/,
    );
    expectFails(
      broken(regional, (t) => {
        (firstOf(t, 'AWS::KMS::Key')[1].Properties.KeyPolicy as { Statement: unknown[] }).Statement.push({
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'kms:Decrypt',
          Resource: '*',
        });
      }),
      'RESOURCE-POLICIES',
      'CC6.1',
      /allows Principal "\*" without a condition/,
    );
  });

  it('CC6.3: an Allow by exclusion (NotAction, NotResource, NotPrincipal) in an identity or a key policy', () => {
    expectFails(
      broken(regional, (t) => {
        const policy = firstOf(t, 'AWS::IAM::Policy')[1];
        (objectAt(policy.Properties, 'PolicyDocument').Statement as unknown[]).push({
          Effect: 'Allow',
          NotAction: 'iam:*',
          Resource: '*',
        });
      }),
      'IAM-NO-NOT-ELEMENTS',
      'CC6.3',
      /allows by exclusion: NotAction "iam:\*"/,
    );
    expectFails(
      broken(regional, (t) => {
        const key = firstOf(t, 'AWS::KMS::Key')[1];
        (objectAt(key.Properties, 'KeyPolicy').Statement as unknown[]).push({
          Effect: 'Allow',
          Principal: { AWS: { Ref: 'AWS::AccountId' } },
          Action: 'kms:Decrypt',
          NotResource: 'arn:aws:kms:eu-west-1:111111111111:key/x',
        });
      }),
      'IAM-NO-NOT-ELEMENTS',
      'CC6.3',
      /NotResource/,
    );
    // The SMS shape with one more action is no longer the justified one.
    expectFails(
      broken(regional, (t) => {
        const policy = firstOf(t, 'AWS::IAM::Policy')[1];
        (objectAt(policy.Properties, 'PolicyDocument').Statement as unknown[]).push({
          Effect: 'Allow',
          Action: ['sns:Publish', 'sns:Subscribe'],
          NotResource: 'arn:aws:sns:*:*:*',
        });
      }),
      'IAM-NO-NOT-ELEMENTS',
      'CC6.3',
      /allows by exclusion: NotResource "arn:aws:sns:\*:\*:\*"/,
    );
    // A Deny by exclusion is a guardrail: it passes (and is counted).
    const guarded = evaluate(
      broken(regional, (t) => {
        const policy = firstOf(t, 'AWS::IAM::Policy')[1];
        (objectAt(policy.Properties, 'PolicyDocument').Statement as unknown[]).push({
          Effect: 'Deny',
          NotAction: 's3:GetObject',
          Resource: '*',
        });
      }),
    ).checks.find((c) => c.id === 'IAM-NO-NOT-ELEMENTS')!;
    expect(guarded.holds).toBe(true);
    expect(guarded.examined).toContain('1 Deny statements by exclusion');
  });

  it('CC6.3: another account in a trust policy, a topic policy resource, a Lambda permission or an event target', () => {
    expectFails(
      broken(regional, (t) => {
        const role = firstOf(t, 'AWS::IAM::Role')[1];
        (objectAt(role.Properties, 'AssumeRolePolicyDocument').Statement as unknown[]).push({
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::210987654321:root' },
          Action: 'sts:AssumeRole',
        });
      }),
      'IAM-SAME-ACCOUNT',
      'CC6.3',
      /names account\(s\) 210987654321/,
    );
    expectFails(
      broken(regional, (t) => {
        const policy = firstOf(t, 'AWS::SNS::TopicPolicy')[1];
        (objectAt(policy.Properties, 'PolicyDocument').Statement as unknown[]).push({
          Effect: 'Allow',
          Principal: { AWS: '210987654321' },
          Action: 'sns:Subscribe',
          Resource: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:', '333333333333', ':t']],
          },
        });
      }),
      'IAM-SAME-ACCOUNT',
      'CC6.3',
      /names account\(s\) 210987654321, 333333333333/,
    );
    expectFails(
      broken(regional, (t) => {
        const permission = firstOf(t, 'AWS::Lambda::Permission')[1];
        permission.Properties.SourceAccount = '444444444444';
      }),
      'IAM-SAME-ACCOUNT',
      'CC6.3',
      /lets account\(s\) 444444444444 invoke/,
    );
    expectFails(
      broken(regional, (t) => {
        const rule = firstOf(t, 'AWS::Events::Rule')[1];
        rule.Properties.Targets = [
          ...arrayAt(rule.Properties, 'Targets'),
          { Id: 'elsewhere', Arn: 'arn:aws:events:eu-west-1:555555555555:event-bus/default' },
        ];
      }),
      'IAM-SAME-ACCOUNT',
      'CC6.3',
      /sends events to account\(s\) 555555555555/,
    );
    // The deploying account, when the stacks are pinned to it, is not another account.
    const pinned = broken(regional, (t) => {
      const permission = firstOf(t, 'AWS::Lambda::Permission')[1];
      permission.Properties.SourceAccount = '444444444444';
    });
    const check = (account?: string) =>
      evaluate(pinned, new Date(), undefined, account ? { account } : {}).checks.find(
        (c) => c.id === 'IAM-SAME-ACCOUNT',
      )!.holds;
    expect(check('444444444444')).toBe(true);
    expect(check('123456789012')).toBe(false);
  });

  it('CC6.6: a WAF rule, a managed group or one of its rules set to count without a reason', () => {
    const acl = (t: Mutable) => firstOf(t, 'AWS::WAFv2::WebACL')[1];
    const ruleNamed = (t: Mutable, name: string) =>
      objectAt(arrayAt(acl(t).Properties, 'Rules').find((r) => objectAt(r).Name === name));
    expectFails(
      broken(regional, (t) => {
        ruleNamed(t, 'RatePerSourceIp').Action = { Count: {} };
      }),
      'EDGE-WAF-COUNT',
      'CC6.6',
      /rules in count mode without a reason: RatePerSourceIp/,
    );
    expectFails(
      broken(regional, (t) => {
        ruleNamed(t, 'AWSManagedRulesKnownBadInputsRuleSet').OverrideAction = { Count: {} };
      }),
      'EDGE-WAF-COUNT',
      'CC6.6',
      /AWSManagedRulesKnownBadInputsRuleSet\/\*/,
    );
    expectFails(
      broken(regional, (t) => {
        const group = objectAt(
          ruleNamed(t, 'AWSManagedRulesCommonRuleSet'),
          'Statement',
          'ManagedRuleGroupStatement',
        );
        group.RuleActionOverrides = [
          ...arrayAt(group, 'RuleActionOverrides'),
          { Name: 'CrossSiteScripting_BODY', ActionToUse: { Count: {} } },
        ];
      }),
      'EDGE-WAF-COUNT',
      'CC6.6',
      /count mode without a reason: AWSManagedRulesCommonRuleSet\/CrossSiteScripting_BODY$/,
    );
    expectFails(
      broken(regional, (t) => {
        const group = objectAt(
          ruleNamed(t, 'AWSManagedRulesAmazonIpReputationList'),
          'Statement',
          'ManagedRuleGroupStatement',
        );
        group.ExcludedRules = [{ Name: 'AWSManagedIPReputationList' }];
      }),
      'EDGE-WAF-COUNT',
      'CC6.6',
      /AWSManagedRulesAmazonIpReputationList\/AWSManagedIPReputationList/,
    );
  });

  it('CC6.7: a topic whose TLS-only policy was removed', () => {
    const set = broken(regional, (t) => {
      delete t.Resources[firstOf(t, 'AWS::SNS::TopicPolicy')[0]];
    });
    expectFails(set, 'TLS-ENFORCED', 'CC6.7', /no policy statement denying aws:SecureTransport=false/);
  });

  it('CC7.2: an alarm that notifies nobody, a function without tracing, a DLQ without an alarm', () => {
    expectFails(
      broken(regional, (t) => {
        firstOf(t, 'AWS::CloudWatch::Alarm')[1].Properties.AlarmActions = [];
      }),
      'MON-ALARMS',
      'CC7.2',
      /no SNS alarm action/,
    );
    expectFails(
      broken(regional, (t) => {
        const fn = Object.values(t.Resources).find(
          (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.TracingConfig,
        )!;
        delete fn.Properties.TracingConfig;
      }),
      'MON-FUNCTIONS',
      'CC7.2',
      /tracing is not active/,
    );
    expectFails(
      broken(regional, (t) => {
        for (const [id, r] of Object.entries(t.Resources))
          if (r.Type === 'AWS::CloudWatch::Alarm' && /DlqDepth/.test(id)) delete t.Resources[id];
      }),
      'MON-DLQ-ALARMS',
      'CC7.2',
      /dead-letter queue without an alarm/,
    );
  });

  it('A1.2: PITR off in one replica, the backup selection gone, a table that would be deleted with its stack', () => {
    expectFails(
      broken(globalTable, (t) => {
        objectAt(
          firstOf(t, 'AWS::DynamoDB::GlobalTable')[1].Properties,
          'Replicas',
          '2',
        ).PointInTimeRecoverySpecification = { PointInTimeRecoveryEnabled: false };
      }),
      'BAK-TABLES',
      'A1.2',
      /PITR off in /,
    );
    expectFails(
      broken(globalTable, (t) => {
        delete t.Resources[firstOf(t, 'AWS::Backup::BackupSelection')[0]];
      }),
      'BAK-TABLES',
      'A1.2',
      /no AWS Backup selection covers it/,
    );
    expectFails(
      broken(globalTable, (t) => {
        firstOf(t, 'AWS::DynamoDB::GlobalTable')[1].DeletionPolicy = 'Delete';
      }),
      'BAK-RETAINED',
      'A1.2',
      /DeletionPolicy Delete/,
    );
  });

  it('C1.2: a log group kept forever, a backup rule without expiry', () => {
    expectFails(
      broken(regional, (t) => {
        delete firstOf(t, 'AWS::Logs::LogGroup')[1].Properties.RetentionInDays;
      }),
      'DISP-RETENTION',
      'C1.2',
      /kept forever/,
    );
    expectFails(
      broken(globalTable, (t) => {
        delete objectAt(
          firstOf(t, 'AWS::Backup::BackupPlan')[1].Properties,
          'BackupPlan',
          'BackupPlanRule',
          '0',
        ).Lifecycle;
      }),
      'DISP-RETENTION',
      'C1.2',
      /rules kept forever: Daily/,
    );
  });

  it('C1.1: an ingest-state table replicated to another region, a bucket replicating its objects', () => {
    expectFails(
      broken(regional, (t) => {
        const [, table] = Object.entries(t.Resources).find(
          ([id, r]) => r.Type === 'AWS::DynamoDB::GlobalTable' && id.startsWith('IngestState'),
        )!;
        const replicas = table.Properties.Replicas as unknown[];
        table.Properties.Replicas = [...replicas, { ...(replicas[0] as object), Region: 'us-east-1' }];
      }),
      'RESIDENCY',
      'C1.1',
      /IngestState.*replicated to 2 regions/,
    );
    expectFails(
      broken(regional, (t) => {
        firstOf(t, 'AWS::S3::Bucket')[1].Properties.ReplicationConfiguration = { Role: 'r', Rules: [] };
      }),
      'RESIDENCY',
      'C1.1',
      /replicates objects to another region/,
    );
  });

  it('says what it cannot show, in the Markdown and the JSON', () => {
    const report = evaluate(templates);
    expect(report.cannotShow.map((c) => c.topic)).toEqual(CANNOT_SHOW.map((c) => c.topic));
    const md = renderMarkdown(report);
    expect(md).toContain('## What this report cannot show');
    for (const topic of ['Log groups created outside the templates', 'Metric-store backups', 'execute-api'])
      expect(md.slice(md.indexOf('## What this report cannot show'))).toContain(topic);
  });

  it('does not count an empty app as evidence', () => {
    const report = evaluate({});
    expect(report.holds).toBe(false);
    expect(report.criteria.find((c) => c.id === 'A1.2')!.holds).toBe(false);
  });
});
