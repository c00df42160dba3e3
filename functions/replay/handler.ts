import { SQSClient } from '@aws-sdk/client-sqs';
import { awsDeadLetterStore } from '#adapters/aws/eventbridge-alert-wiring';
import { SqsSpillQueue } from '#adapters/aws/spill-sqs-queue';
import { awsMetricStore, awsTenantStatusSource, ENV, requiredEnv } from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { createReplayHandler } from './app';

export const handler = createReplayHandler({
  metrics: awsMetricStore({ spill: false }),
  tenants: awsTenantStatusSource(),
  observability: lambdaObservability('replay'),
  spill: new SqsSpillQueue(new SQSClient({}), requiredEnv(ENV.spillQueueUrl)),
  deadLetters: awsDeadLetterStore(),
});
