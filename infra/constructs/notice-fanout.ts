import { Validations } from 'aws-cdk-lib';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { PlatformFunction } from './platform-function';

export interface NoticeFanoutProps {
  /** The admin function: it posts security notices and goes on with their fan-out itself. */
  readonly admin: PlatformFunction;
}

/**
 * A security notice's fan-out past one run (functions/admin/notices.ts): the admin function invokes
 * itself asynchronously with the rest. Its role may invoke its own ARN and nothing else, in a policy
 * of its own (in the role's default policy, the function's ARN would make the function depend on
 * itself). The admin function is created with an on-failure queue (`asyncFailureKey`): a run that
 * fails Lambda's two retries lands there, and `POST …/deliver` resumes the fan-out.
 */
export class NoticeFanout extends Construct {
  readonly policy: Policy;

  constructor(scope: Construct, id: string, props: NoticeFanoutProps) {
    super(scope, id);
    const { fn } = props.admin;
    if (!fn.role) throw new Error('the admin function needs its own role');
    this.policy = new Policy(this, 'SelfInvoke', {
      roles: [fn.role],
      statements: [new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] })],
    });
    // Each run advances the fan-out's cursor and a continuation for a finished or superseded update
    // does nothing, so the chain ends by itself: Lambda must not cut it off after 16 links (a notice
    // to more than 16 runs' tenants).
    (fn.node.defaultChild as CfnFunction).recursiveLoop = 'Allow';
    if (props.admin.failureQueue)
      Validations.of(props.admin.failureQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          "The admin function's on-failure destination (notice fan-out runs): itself the dead-letter queue, watched by an ops alarm.",
      });
  }
}
