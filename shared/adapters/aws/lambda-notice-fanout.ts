import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { NoticeFanoutContinuation, NoticeFanoutQueue } from '#ports/notice-fanout-queue';

/**
 * A notice fan-out's next run on AWS: the admin function invokes itself asynchronously (InvocationType
 * Event: Lambda queues the event, retries it twice on error, and the request returns at once). Its
 * role may invoke only its own ARN (infra/constructs/notice-fanout.ts).
 */
export class LambdaNoticeFanout implements NoticeFanoutQueue {
  constructor(
    private readonly client: LambdaClient,
    /** This function's name (AWS_LAMBDA_FUNCTION_NAME): no self-reference in its own environment. */
    private readonly functionName: string,
  ) {}

  async continueLater(continuation: NoticeFanoutContinuation): Promise<void> {
    const response = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(continuation)),
      }),
    );
    // An accepted asynchronous invocation answers 202; anything else means the event was not queued.
    if (response.StatusCode !== 202)
      throw new Error(`the fan-out's next run was not queued (status ${response.StatusCode})`);
  }
}
