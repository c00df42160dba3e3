import {
  ListSubscriptionsByTopicCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import type { EmailSubscriptions } from '#ports/email-subscriptions';

/** The filter policy that lets an email subscription receive only the messages addressed to it. */
export const recipientFilterPolicy = (address: string): string => JSON.stringify({ recipient: [address] });

/**
 * Email subscriptions on the region's email topic (sns-notifier.ts publishes there with the
 * `recipient` attribute). SNS keeps one subscription per topic × endpoint, so it is per address.
 */
export class SnsEmailSubscriptions implements EmailSubscriptions {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async subscribe(address: string): Promise<void> {
    await this.client.send(
      new SubscribeCommand({
        TopicArn: this.topicArn,
        Protocol: 'email',
        Endpoint: address,
        Attributes: {
          FilterPolicyScope: 'MessageAttributes',
          FilterPolicy: recipientFilterPolicy(address),
        },
        ReturnSubscriptionArn: true,
      }),
    );
  }

  async unsubscribe(address: string): Promise<void> {
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: this.topicArn, ...(NextToken ? { NextToken } : {}) }),
      );
      for (const s of page.Subscriptions ?? []) {
        // A subscription still pending confirmation has no ARN yet and cannot be removed.
        if (s.Protocol !== 'email' || s.Endpoint !== address || !s.SubscriptionArn?.startsWith('arn:'))
          continue;
        await this.client.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn }));
      }
      NextToken = page.NextToken;
    } while (NextToken);
  }
}
