/**
 * The alerts API keeps SNS email subscriptions (filter policy on the `recipient` attribute the
 * notifier sets) in step with the email recipients of a tenant's escalation chains and notice
 * channels: the exact SNS requests, asserted with aws-sdk-client-mock, driven through the API on the
 * local platform.
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
import { subscribeInput, EMAIL_TOPIC as TOPIC } from '../support/sns-email-platform';

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
  ({ adminToken } = await platform.createTenant('email-subs'));
});
afterAll(async () => {
  sns.restore();
  await platform?.destroy();
});
beforeEach(() => {
  sns.reset();
  sns.on(SubscribeCommand).resolves({ SubscriptionArn: 'pending confirmation' });
  sns.on(UnsubscribeCommand).resolves({});
});

const api = (method: string, path: string, body?: unknown, status = 200) =>
  callApi(platform, path, { token: adminToken, method, body, status });

const email = (address: string) => ({ type: 'email', address });
const chain = (...addresses: string[]) => ({
  name: 'ops',
  stages: [{ recipients: addresses.map(email) }, { recipients: [{ type: 'sms', address: '+15555550100' }] }],
});
const listed = (...endpoints: [string, string][]) => ({
  Subscriptions: endpoints.map(([Endpoint, SubscriptionArn]) => ({
    TopicArn: TOPIC,
    Protocol: 'email',
    Endpoint,
    SubscriptionArn,
  })),
});

describe('email subscriptions for chain recipients', () => {
  let chainId: string;

  it('subscribes each email recipient with a filter policy on its address when a chain is saved', async () => {
    chainId = (await api('POST', '/v1/escalation-chains', chain('a@example.com', 'b@example.com'), 201))[
      'chainId'
    ] as string;
    expect(sns.commandCalls(SubscribeCommand).map((c) => c.args[0].input)).toEqual([
      subscribeInput('a@example.com'),
      subscribeInput('b@example.com'),
    ]);
    expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(0);
  });

  it('subscribes only added recipients and unsubscribes removed ones on update', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand)
      .resolves(
        listed(
          ['a@example.com', `${TOPIC}:sub-a`],
          ['b@example.com', `${TOPIC}:sub-b`],
          ['pending@example.com', 'PendingConfirmation'],
        ),
      );
    await api('PUT', `/v1/escalation-chains/${chainId}`, chain('b@example.com', 'c@example.com'));
    expect(sns.commandCalls(SubscribeCommand).map((c) => c.args[0].input)).toEqual([
      subscribeInput('c@example.com'),
    ]);
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand)[0]?.args[0].input).toEqual({ TopicArn: TOPIC });
    expect(sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input)).toEqual([
      { SubscriptionArn: `${TOPIC}:sub-a` },
    ]);
  });

  it('keeps an address another chain of the tenant still uses, and unsubscribes it with the last one', async () => {
    const other = (await api('POST', '/v1/escalation-chains', chain('b@example.com'), 201))[
      'chainId'
    ] as string;
    sns.on(ListSubscriptionsByTopicCommand).resolves(listed(['b@example.com', `${TOPIC}:sub-b`]));
    await api('DELETE', `/v1/escalation-chains/${chainId}`, undefined, 204);
    expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(0);
    await api('DELETE', `/v1/escalation-chains/${other}`, undefined, 204);
    expect(sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input)).toEqual([
      { SubscriptionArn: `${TOPIC}:sub-b` },
    ]);
  });

  it('keeps an address another tenant still uses, and unsubscribes it with the last tenant', async () => {
    const { adminToken: otherTenant } = await platform.createTenant('email-subs-other');
    const create = (token: string) =>
      callApi(platform, '/v1/escalation-chains', {
        token,
        method: 'POST',
        body: chain('shared@example.com'),
        status: 201,
      });
    const remove = (token: string, id: unknown) =>
      callApi(platform, `/v1/escalation-chains/${id}`, { token, method: 'DELETE', status: 204 });
    const mine = (await create(adminToken))['chainId'];
    const theirs = (await create(otherTenant))['chainId'];
    sns.on(ListSubscriptionsByTopicCommand).resolves(listed(['shared@example.com', `${TOPIC}:sub-shared`]));
    await remove(adminToken, mine);
    expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(0);
    await remove(otherTenant, theirs);
    expect(sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input)).toEqual([
      { SubscriptionArn: `${TOPIC}:sub-shared` },
    ]);
  });

  it('does not store a chain whose recipient could not be subscribed', async () => {
    sns.on(SubscribeCommand).rejects(new Error('throttled'));
    const before = await api('GET', '/v1/escalation-chains');
    const response = await platform.request('/v1/escalation-chains', {
      method: 'POST',
      token: adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chain('d@example.com')),
    });
    expect(response.status).toBe(503);
    expect(await api('GET', '/v1/escalation-chains')).toEqual(before);
  });
});

/**
 * Removing an e-mail address from a tenant's notice channels removes its subscription through the
 * same reconciliation: not while a chain of the tenant, or another tenant, still names the address.
 */
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

describe('email subscriptions for notice channels', () => {
  let noticeAdmin: string;
  beforeAll(async () => {
    ({ adminToken: noticeAdmin } = await platform.createTenant('notice-subs'));
  });
  beforeEach(() => {
    // Every address is subscribed and confirmed: the listing answers each with its own ARN.
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: ['ops', 'sec', 'chain', 'common'].map((name) => ({
        TopicArn: TOPIC,
        Protocol: 'email',
        Endpoint: `${name}@example.com`,
        SubscriptionArn: `${TOPIC}:sub-${name}`,
      })),
    });
  });

  it('unsubscribes an address removed from the channels, and only that one', async () => {
    await channels(noticeAdmin, 'ops', 'sec', { type: 'webhook', address: 'https://hooks.example.com/sec' });
    expect(subscribed()).toEqual(['ops@example.com', 'sec@example.com']);
    expect(unsubscribed()).toEqual([]);
    sns.resetHistory();
    await channels(noticeAdmin, 'sec');
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand)[0]?.args[0].input).toEqual({ TopicArn: TOPIC });
    expect(unsubscribed()).toEqual([{ SubscriptionArn: `${TOPIC}:sub-ops` }]);
    expect((await callApi(platform, '/v1/notice-channels', { token: noticeAdmin }))['recipients']).toEqual([
      { type: 'email', address: 'sec@example.com', hasSecret: false },
    ]);
  });

  it("keeps an address one of the tenant's escalation chains still names, until the chain goes", async () => {
    const chain = await callApi(platform, '/v1/escalation-chains', {
      token: noticeAdmin,
      method: 'POST',
      body: { name: 'ops', stages: [{ recipients: [{ type: 'email', address: 'chain@example.com' }] }] },
      status: 201,
    });
    await channels(noticeAdmin, 'sec', 'chain');
    sns.resetHistory();
    await channels(noticeAdmin, 'sec');
    expect(unsubscribed()).toEqual([]);
    await callApi(platform, `/v1/escalation-chains/${chain['chainId']}`, {
      token: noticeAdmin,
      method: 'DELETE',
      status: 204,
    });
    expect(unsubscribed()).toEqual([{ SubscriptionArn: `${TOPIC}:sub-chain` }]);
  });

  it('keeps an address another tenant still names, and unsubscribes it with the last tenant', async () => {
    const { adminToken: other } = await platform.createTenant('notice-subs-other');
    await channels(noticeAdmin, 'sec', 'common');
    await channels(other, 'common');
    sns.resetHistory();
    await channels(noticeAdmin, 'sec');
    expect(unsubscribed()).toEqual([]);
    await channels(other);
    expect(unsubscribed()).toEqual([{ SubscriptionArn: `${TOPIC}:sub-common` }]);
  });
});
