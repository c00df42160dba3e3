import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { OffboardingMessage, OffboardingQueue } from '#ports/offboarding-queue';

/** Every region's offboarding queue has this name (infra/constructs/offboarding-worker.ts). */
export const OFFBOARDING_QUEUE_NAME = 'obs-platform-offboarding';

/**
 * `https://sqs.<region>.amazonaws.com/<account>/<name>` of another region, from this region's URL:
 * same account and name, so no region needs another's stack outputs.
 */
export function queueUrlIn(ownQueueUrl: string, region: string): string {
  const url = new URL(ownQueueUrl);
  const host = url.hostname.split('.');
  if (host[0] !== 'sqs' || host.length < 4) throw new Error(`not an SQS queue URL: ${ownQueueUrl}`);
  host[1] = region;
  url.hostname = host.join('.');
  return url.toString();
}

/** Each part goes to the queue of the region that runs it, through a client of that region. */
export class SqsOffboardingQueue implements OffboardingQueue {
  constructor(
    private readonly ownQueueUrl: string,
    private readonly clientIn: (region: string) => SQSClient,
  ) {}

  async enqueue(message: OffboardingMessage): Promise<void> {
    await this.clientIn(message.region).send(
      new SendMessageCommand({
        QueueUrl: queueUrlIn(this.ownQueueUrl, message.region),
        MessageBody: JSON.stringify(message),
      }),
    );
  }
}
