/**
 * A local platform whose alerts API keeps e-mail subscriptions through SnsEmailSubscriptions on a
 * mocked SNS client (aws-sdk-client-mock), shared by a test file: started once with one tenant, and
 * before each test the mock's history is cleared and Subscribe / Unsubscribe resolve.
 */
import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { SnsEmailSubscriptions } from '#adapters/aws/sns-email-subscriptions';
import { startTestPlatform, type TestPlatform } from './platform';

export const EMAIL_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alert-email';

/** The Subscribe request for `address`: an email subscription filtered on its `recipient` attribute. */
export const subscribeInput = (address: string) => ({
  TopicArn: EMAIL_TOPIC,
  Protocol: 'email',
  Endpoint: address,
  Attributes: {
    FilterPolicyScope: 'MessageAttributes',
    FilterPolicy: JSON.stringify({ recipient: [address] }),
  },
  ReturnSubscriptionArn: true,
});

const mockSns = () => mockClient(SNSClient);

export interface SnsEmailPlatform {
  readonly sns: ReturnType<typeof mockSns>;
  /** Set in beforeAll. */
  platform: TestPlatform;
  adminToken: string;
}

/** Registers the file's hooks; read `platform` and `adminToken` inside tests. */
export function useSnsEmailPlatform(tenantName: string): SnsEmailPlatform {
  const context = { sns: mockSns() } as SnsEmailPlatform;
  beforeAll(async () => {
    context.platform = await startTestPlatform({
      alerting: {
        tickIntervalMs: 0,
        emailSubscriptions: new SnsEmailSubscriptions(new SNSClient({ region: 'eu-west-1' }), EMAIL_TOPIC),
      },
    });
    ({ adminToken: context.adminToken } = await context.platform.createTenant(tenantName));
  });
  afterAll(async () => {
    context.sns.restore();
    await context.platform?.destroy();
  });
  beforeEach(() => {
    context.sns.reset();
    context.sns.on(SubscribeCommand).resolves({ SubscriptionArn: 'pending confirmation' });
    context.sns.on(UnsubscribeCommand).resolves({});
  });
  return context;
}
