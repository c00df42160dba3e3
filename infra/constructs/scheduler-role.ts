import { Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/**
 * A role EventBridge Scheduler of this account assumes to invoke `target` (a schedule's LambdaInvoke
 * grants it invoke on that function alone). Its own role, so the statement can be read where the
 * schedule is made.
 */
export function schedulerRoleFor(scope: Construct, id: string, target: IFunction, what: string): Role {
  const stack = Stack.of(scope);
  const role = new Role(scope, id, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  });
  const logicalId = stack.resolve(stack.getLogicalId(target.node.defaultChild as CfnFunction));
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
    reason:
      `lambda:InvokeFunction on the ${what} function and \`<its ARN>:*\` (its versions and aliases) only, ` +
      'as grantInvoke writes it; no other function.',
  });
  return role;
}
