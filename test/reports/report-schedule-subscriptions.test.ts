/**
 * A report schedule's own e-mail addresses get SNS email subscriptions (filter policy on the
 * `recipient` attribute the notifier sets) before it is stored, and lose them with their last use:
 * an address a chain, a notice channel, another schedule or another tenant still names stays. The
 * exact SNS requests, asserted with aws-sdk-client-mock, driven through the API on the local platform.
 */
import { ListSubscriptionsByTopicCommand, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { subscribeInput, EMAIL_TOPIC as TOPIC, useSnsEmailPlatform } from '../support/sns-email-platform';

const env = useSnsEmailPlatform('report-subs');
const { sns } = env;

interface ScheduleView {
  scheduleId: string;
  name: string;
  version: number;
  recipients: { emails?: string[]; chainId?: string };
}

const api = <T = ScheduleView>(
  method: string,
  path: string,
  body?: unknown,
  status = 200,
  token = env.adminToken,
) => callApi<T>(env.platform, path, { token, method, ...(body === undefined ? {} : { body }), status });

const schedule = (emails: string[], chainId?: string) => ({
  name: 'Web monthly',
  report: { resources: ['web-1'], availability: { kind: 'alerts' } },
  cadence: 'monthly',
  timeZone: 'Europe/London',
  recipients: { emails, ...(chainId ? { chainId } : {}) },
});
const createSchedule = async (emails: string[], chainId?: string, token = env.adminToken) =>
  (await api('POST', '/v1/report-schedules', schedule(emails, chainId), 201, token)).scheduleId;
const deleteSchedule = (id: string, token = env.adminToken) =>
  api('DELETE', `/v1/report-schedules/${id}`, undefined, 204, token);
const chain = (...addresses: string[]) => ({
  name: 'ops',
  stages: [{ recipients: addresses.map((address) => ({ type: 'email', address })) }],
});
const createChain = async (...addresses: string[]) =>
  (await api<{ chainId: string }>('POST', '/v1/escalation-chains', chain(...addresses), 201)).chainId;

const subscribed = () => sns.commandCalls(SubscribeCommand).map((c) => c.args[0].input);
const unsubscribed = () => sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input);
/** SNS lists each address as a confirmed subscription `sub-<address>`. */
const confirmed = (...addresses: string[]) =>
  sns.on(ListSubscriptionsByTopicCommand).resolves({
    Subscriptions: addresses.map((Endpoint) => ({
      TopicArn: TOPIC,
      Protocol: 'email',
      Endpoint,
      SubscriptionArn: `${TOPIC}:sub-${Endpoint}`,
    })),
  });
const unsubscribeOf = (address: string) => ({ SubscriptionArn: `${TOPIC}:sub-${address}` });

describe('email subscriptions for report schedule recipients', () => {
  it('subscribes a new schedule’s own addresses, not its chain’s again', async () => {
    const chainId = await createChain('oncall@example.com');
    sns.resetHistory();
    const id = await createSchedule(['sla@example.com', 'cfo@example.com'], chainId);
    expect(subscribed()).toEqual([subscribeInput('sla@example.com'), subscribeInput('cfo@example.com')]);
    expect(unsubscribed()).toEqual([]);

    // Replaced: the added address subscribed, the dropped one unsubscribed, the kept one untouched.
    confirmed('sla@example.com', 'cfo@example.com', 'oncall@example.com');
    sns.resetHistory();
    await api('PUT', `/v1/report-schedules/${id}`, schedule(['sla@example.com', 'ceo@example.com'], chainId));
    expect(subscribed()).toEqual([subscribeInput('ceo@example.com')]);
    expect(sns.commandCalls(ListSubscriptionsByTopicCommand)[0]?.args[0].input).toEqual({ TopicArn: TOPIC });
    expect(unsubscribed()).toEqual([unsubscribeOf('cfo@example.com')]);

    // Deleted: its addresses go; the chain's address stays with the chain.
    confirmed('sla@example.com', 'ceo@example.com', 'oncall@example.com');
    sns.resetHistory();
    await deleteSchedule(id);
    expect(unsubscribed()).toEqual([unsubscribeOf('sla@example.com'), unsubscribeOf('ceo@example.com')]);
    expect(subscribed()).toEqual([]);
  });

  it('keeps an address a chain still names when the schedule goes, and the other way round', async () => {
    confirmed('both@example.com');
    const chainId = await createChain('both@example.com');
    const id = await createSchedule(['both@example.com']);
    sns.resetHistory();
    await deleteSchedule(id);
    expect(unsubscribed()).toEqual([]);
    await api('DELETE', `/v1/escalation-chains/${chainId}`, undefined, 204);
    expect(unsubscribed()).toEqual([unsubscribeOf('both@example.com')]);

    const again = await createSchedule(['both@example.com']);
    const other = await createChain('both@example.com', 'pager@example.com');
    sns.resetHistory();
    // Dropping the address from the chain keeps it while the schedule names it.
    await api('PUT', `/v1/escalation-chains/${other}`, chain('pager@example.com'));
    await api('DELETE', `/v1/escalation-chains/${other}`, undefined, 204);
    expect(unsubscribed()).toEqual([]);
    await deleteSchedule(again);
    expect(unsubscribed()).toEqual([unsubscribeOf('both@example.com')]);
  });

  it('keeps an address another schedule, a notice channel or another tenant names, until its last use', async () => {
    confirmed('shared@example.com');
    const first = await createSchedule(['shared@example.com']);
    const second = await createSchedule(['shared@example.com']);
    sns.resetHistory();
    await deleteSchedule(first);
    expect(unsubscribed()).toEqual([]);

    await api('PUT', '/v1/notice-channels', {
      recipients: [{ type: 'email', address: 'shared@example.com' }],
    });
    await deleteSchedule(second);
    expect(unsubscribed()).toEqual([]);

    // Another tenant names it too: neither clearing the channel nor a schedule's going drops it.
    const { adminToken: otherTenant } = await env.platform.createTenant('report-subs-other');
    const theirs = await createSchedule(['shared@example.com'], undefined, otherTenant);
    await api('PUT', '/v1/notice-channels', { recipients: [] });
    await deleteSchedule(await createSchedule(['shared@example.com']));
    expect(unsubscribed()).toEqual([]);
    await deleteSchedule(theirs, otherTenant);
    expect(unsubscribed()).toEqual([unsubscribeOf('shared@example.com')]);
  });

  it('stores nothing when an address cannot be subscribed, and releases what it subscribed', async () => {
    confirmed('ok@example.com');
    sns.on(SubscribeCommand, { Endpoint: 'down@example.com' }).rejects(new Error('throttled'));
    const before = await api<{ items: ScheduleView[] }>('GET', '/v1/report-schedules');
    const refused = await env.platform.request('/v1/report-schedules', {
      method: 'POST',
      token: env.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(schedule(['ok@example.com', 'down@example.com'])),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await api('GET', '/v1/report-schedules')).toEqual(before);
    expect(subscribed()).toEqual([subscribeInput('ok@example.com'), subscribeInput('down@example.com')]);
    expect(unsubscribed()).toEqual([unsubscribeOf('ok@example.com')]);

    // A replacement that cannot subscribe leaves the schedule as it was, its address subscribed.
    const id = await createSchedule(['ok@example.com']);
    const stored = await api('GET', `/v1/report-schedules/${id}`);
    sns.resetHistory();
    const replaced = await env.platform.request(`/v1/report-schedules/${id}`, {
      method: 'PUT',
      token: env.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(schedule(['down@example.com'])),
    });
    expect(replaced.status).toBe(503);
    expect(await api('GET', `/v1/report-schedules/${id}`)).toEqual(stored);
    expect(unsubscribed()).toEqual([]);
    await deleteSchedule(id);
    expect(unsubscribed()).toEqual([unsubscribeOf('ok@example.com')]);
  });
});
