/**
 * Removing an e-mail address from a tenant's notice channels removes its SNS e-mail subscription,
 * through the escalation chains' reconciliation: not while a chain of the tenant, or another tenant,
 * still names the address. The exact SNS requests, asserted with aws-sdk-client-mock, driven through
 * the API on the local platform.
 */
import {
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SnsEmailSubscriptions } from '#adapters/aws/sns-email-subscriptions';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alert-email';
const sns = mockClient(SNSClient);
let platform: TestPlatform;
let adminToken: string;

beforeAll(async () => {
  platform = await startTestPlatform({
    alerting: {
      tickIntervalMs: 0,
      emailSubscriptions: new SnsEmailSubscriptions(new SNSClient({ region: 'eu-west-1' }), TOPIC),
    },
  });
  ({ adminToken } = await platform.createTenant('notice-subs'));
});
afterAll(async () => {
  sns.restore();
  await platform?.destroy();
});
beforeEach(() => {
  sns.reset();
  sns.on(SubscribeCommand).resolves({ SubscriptionArn: 'pending confirmation' });
  sns.on(UnsubscribeCommand).resolves({});
  // Every address is subscribed and confirmed: the listing answers each with its own ARN.
  sns.on(ListSubscriptionsByTopicCommand).resolves({
    Subscriptions: ['ops', 'sec', 'chain', 'shared'].map((name) => ({
      TopicArn: TOPIC,
      Protocol: 'email',
      Endpoint: `${name}@example.com`,
      SubscriptionArn: `${TOPIC}:sub-${name}`,
    })),
  });
});

const channels = (token: string, ...recipients: ({ type: string; address: string } | string)[]) =>
  callApi(platform, '/v1/notice-channels', {
    token,
    method: 'PUT',
    body: {
      recipients: recipients.map((r) =>
        typeof r === 'string' ? { type: 'email', address: `${r}@example.com` } : r,
      ),
    },
  });
const unsubscribed = () => sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input);
const subscribed = () => sns.commandCalls(SubscribeCommand).map((c) => c.args[0].input.Endpoint);

describe('notice-channel e-mail subscriptions', () => {
  it('unsubscribes an address removed from the channels, and only that one', async () => {
    await channels(adminToken, 'ops', 'sec', { type: 'webhook', address: 'https://hooks.example.com/sec' });
    expect(subscribed()).toEqual(['ops@example.com', 'sec@example.com']);
    expect(unsubscribed()).toEqual([]);
    sns.resetHistory();
    await channels(adminToken, 'sec');
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand)[0]?.args[0].input).toEqual({ TopicArn: TOPIC });
    expect(unsubscribed()).toEqual([{ SubscriptionArn: `${TOPIC}:sub-ops` }]);
    expect((await callApi(platform, '/v1/notice-channels', { token: adminToken }))['recipients']).toEqual([
      { type: 'email', address: 'sec@example.com', hasSecret: false },
    ]);
  });

  it("keeps an address one of the tenant's escalation chains still names, until the chain goes", async () => {
    const chain = await callApi(platform, '/v1/escalation-chains', {
      token: adminToken,
      method: 'POST',
      body: { name: 'ops', stages: [{ recipients: [{ type: 'email', address: 'chain@example.com' }] }] },
      status: 201,
    });
    await channels(adminToken, 'sec', 'chain');
    sns.resetHistory();
    await channels(adminToken, 'sec');
    expect(unsubscribed()).toEqual([]);
    await callApi(platform, `/v1/escalation-chains/${chain['chainId']}`, {
      token: adminToken,
      method: 'DELETE',
      status: 204,
    });
    expect(unsubscribed()).toEqual([{ SubscriptionArn: `${TOPIC}:sub-chain` }]);
  });

  it('keeps an address another tenant still names, and unsubscribes it with the last tenant', async () => {
    const { adminToken: other } = await platform.createTenant('notice-subs-other');
    await channels(adminToken, 'sec', 'shared');
    await channels(other, 'shared');
    sns.resetHistory();
    await channels(adminToken, 'sec');
    expect(unsubscribed()).toEqual([]);
    await channels(other);
    expect(unsubscribed()).toEqual([{ SubscriptionArn: `${TOPIC}:sub-shared` }]);
  });
});
