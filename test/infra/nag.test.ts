import { App, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDatabase } from 'aws-cdk-lib/aws-timestream';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { addPlatformChecks } from '../../infra/acknowledgements';
import { synthPlatform } from './support';

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('reports zero unacknowledged findings for the whole platform, and every acknowledgement has a reason', () => {
    const { app } = synthPlatform();
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(40);
    // Two synths of 13 stacks plus every rule: near a minute on a shared 2-core machine.
  }, 180_000);

  it('acknowledges wildcards only in their allowed shapes: others still fail the synth', () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stack = new Stack(app, 'Probe', { env: { region: 'eu-west-1' } });
    const role = new Role(stack, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`arn:aws:dynamodb:eu-west-1:123456789012:table/t/index/*`],
      }),
    );
    role.addToPolicy(new PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] }));
    role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    // The tenant tables of one named Timestream database are acknowledged; of any database, not.
    const database = new CfnDatabase(stack, 'Metrics', {});
    role.addToPolicy(
      new PolicyStatement({
        actions: ['timestream:WriteRecords'],
        resources: [`arn:aws:timestream:eu-west-1:123456789012:database/${database.ref}/table/*`],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['timestream:Select'],
        resources: ['arn:aws:timestream:eu-west-1:123456789012:database/*/table/*'],
      }),
    );
    addPlatformChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.map((v) => v.ruleName);
    // s3:GetObject on "*" has a resource type: not acknowledged. The index ARN is.
    expect(findings).toContain('AwsSolutions-IAM5[Resource::*]');
    expect(findings.filter((f) => f.includes('/index/*'))).toEqual([]);
    expect(findings.filter((f) => f.includes(':database/'))).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:timestream:eu-west-1:123456789012:database/*/table/*]',
    ]);
  });
});
