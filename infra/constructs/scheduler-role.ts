import { type Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { PlatformFunction } from './platform-function';

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

export interface ScheduledInvocation {
  /** The schedule's description, e.g. 'Log retention sweep'. */
  readonly description: string;
  /** What the scheduler role's acknowledgement calls the function. */
  readonly what: string;
  readonly every: Duration;
  /** Encrypts the schedule. */
  readonly key: IKey;
  /** Where invocations the scheduler could not deliver go. */
  readonly deadLetterQueue: IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge?: Duration;
}

/**
 * Invokes a platform function on a fixed rate through EventBridge Scheduler, with its own role (above),
 * and acknowledges the function's on-failure queue (a dead-letter queue itself, with an ops alarm).
 * The role and schedule are made in `scope` as `SchedulerRole` and `Schedule`.
 */
export function invokeOnSchedule(
  scope: Construct,
  target: PlatformFunction,
  how: ScheduledInvocation,
): Schedule {
  if (target.failureQueue)
    Validations.of(target.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "The function's on-failure destination: itself the dead-letter queue, watched by an ops alarm.",
    });
  return new Schedule(scope, 'Schedule', {
    description: how.description,
    schedule: ScheduleExpression.rate(how.every),
    key: how.key,
    target: new LambdaInvoke(target.fn, {
      role: schedulerRoleFor(scope, 'SchedulerRole', target.fn, how.what),
      deadLetterQueue: how.deadLetterQueue,
      retryAttempts: how.retryAttempts,
      ...(how.maxEventAge ? { maxEventAge: how.maxEventAge } : {}),
    }),
  });
}
