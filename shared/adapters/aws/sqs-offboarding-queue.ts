import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  MAX_QUEUE_DELAY_SECONDS,
  type OffboardingMessage,
  type OffboardingQueue,
} from '#ports/offboarding-queue';

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

  async enqueue(message: OffboardingMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    const delay = options.delaySeconds ?? 0;
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_QUEUE_DELAY_SECONDS)
      throw new Error(`an SQS delay is 0 to ${MAX_QUEUE_DELAY_SECONDS} whole seconds, not ${delay}`);
    await this.clientIn(message.region).send(
      new SendMessageCommand({
        QueueUrl: queueUrlIn(this.ownQueueUrl, message.region),
        MessageBody: JSON.stringify(message),
        ...(delay > 0 ? { DelaySeconds: delay } : {}),
      }),
    );
  }
}
