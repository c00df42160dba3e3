/**
 * A downtime made after an alert opened holds the alert's escalation (LogicMonitor: SDT suppresses the
 * notifications of alerts already active): the chain's next stage does not go out while the window
 * is open, whatever the downtime targets — the resource's collector, the resource itself, its group,
 * a website (a resource of type website), the datasource — and it goes out when the window ends with the alert still open (LM notifies an
 * alert still active when its SDT ends). End to end on the local platform, on a clock moved by hand.
 */
import { describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { useAlertingPlatform } from './support/alerting-platform';

const START = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
let now = START;
const e2e = useAlertingPlatform('downtime-hold', () => now);
const MINUTE = 60_000;

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
  callApi<T>(e2e.platform, path, { token: e2e.adminToken, method, body, status });
/** The chain's stages each host's alert reached so far (the webhook carries the stage). */
const stagesOf = (host: string) =>
  e2e.receiver.received
    .filter((r) => r.body['resource'] === `${host}.example.com` && r.body['kind'] === 'alert')
    .map((r) => r.body['stage']);

/** Keeps every host's alert open at the clock's time, then runs the evaluator's pass. */
async function breachAndTick(hosts: readonly string[]) {
  for (const host of hosts) await e2e.ingestCpuBusy(`${host}.example.com`, 99);
  await e2e.platform.alerting.tick();
}

describe('a downtime created after the alert opened', () => {
  const HOSTS = ['by-collector', 'by-resource', 'by-group', 'by-website', 'control'];
  const HELD = HOSTS.filter((h) => h !== 'control');

  it('holds the next stage for collector, resource, group and website targets, and resumes when it ends', async () => {
    const collector = await e2e.platform.createCollector(e2e.adminToken, 'rack-9-collector');
    const resourceIds: Record<string, string> = {};
    for (const host of HOSTS)
      resourceIds[host] = (
        await api<{ resourceId: string }>(
          'POST',
          '/v1/resources',
          host === 'by-website'
            ? // A website is a resource of type website; its series link to it by its name.
              { type: 'website', name: `${host}.example.com`, address: `https://${host}.example.com/` }
            : {
                type: 'device',
                name: host,
                address: `${host}.example.com`,
                ...(host === 'by-collector' ? { collectorId: collector.collectorId } : {}),
                ...(host === 'by-group' ? { groups: ['maintenance-db'] } : {}),
              },
          201,
        )
      ).resourceId;
    const chain = await api<{ chainId: string }>(
      'POST',
      '/v1/escalation-chains',
      {
        name: 'two stages',
        stageIntervalSeconds: 300,
        stages: [
          { recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/first` }] },
          { recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/second` }] },
        ],
      },
      201,
    );
    await api(
      'POST',
      '/v1/alert-rules',
      {
        name: 'CPU busy',
        metric: 'cpu_busy',
        filters: { datasource: 'CPU' },
        threshold: '> 90',
        windowSeconds: 60,
        escalationChainId: chain.chainId,
      },
      201,
    );
    await breachAndTick(HOSTS);
    for (const host of HOSTS) expect(stagesOf(host), host).toEqual([0]);

    // Maintenance starts after the alerts opened: one downtime per target kind, 30 minutes.
    const window = { startsAt: now, endsAt: now + 30 * MINUTE };
    for (const [name, target] of [
      ['collector upgrade', { collectors: [collector.collectorId] }],
      ['host patching', { resources: [resourceIds['by-resource']] }],
      ['db group maintenance', { groups: ['maintenance-db'] }],
      ['shop release', { resources: [resourceIds['by-website']] }],
    ] as const)
      await api('POST', '/v1/downtimes', { name, ...target, ...window }, 201);

    // Past the stage interval, twice: only the alert nothing covers escalates.
    for (const minutes of [6, 12]) {
      now = START + minutes * MINUTE;
      await breachAndTick(HOSTS);
    }
    expect(stagesOf('control')).toEqual([0, 1]);
    for (const host of HELD) expect(stagesOf(host), host).toEqual([0]);

    // The window ends with the alerts still open: the held stage goes out then, once.
    now = window.endsAt + MINUTE;
    await breachAndTick(HOSTS);
    now += MINUTE;
    await breachAndTick(HOSTS);
    for (const host of HELD) expect(stagesOf(host), host).toEqual([0, 1]);
    expect(stagesOf('control')).toEqual([0, 1]);
  });

  it('holds it for a datasource target too', async () => {
    // A new alert on another host, then a downtime on its datasource (it covers every CPU series).
    now += 10 * MINUTE;
    await breachAndTick(['by-datasource']);
    expect(stagesOf('by-datasource')).toEqual([0]);
    const endsAt = now + 30 * MINUTE;
    await api(
      'POST',
      '/v1/downtimes',
      { name: 'CPU datasource', datasources: ['CPU'], startsAt: now, endsAt },
      201,
    );
    now += 6 * MINUTE;
    await breachAndTick(['by-datasource']);
    expect(stagesOf('by-datasource')).toEqual([0]);
    now = endsAt + MINUTE;
    await breachAndTick(['by-datasource']);
    expect(stagesOf('by-datasource')).toEqual([0, 1]);
  });
});
