import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativePayload } from '#domain/native-format';
import { type SnmpCredentials, SnmpPoller } from '../../collector/pollers/snmp';
import {
  COMMUNITY,
  COUNTER32_OID,
  COUNTER64_OID,
  type RunningSnmpd,
  startSnmpd,
  V3_USER,
} from './support/snmpd';

const resource = { resourceName: 'snmpd-lo', resourceIds: { 'system.hostname': '127.0.0.1' } };
const v2c: SnmpCredentials = { version: '2c', community: COMMUNITY };
const v3: SnmpCredentials = { version: '3', authProtocol: 'SHA', privProtocol: 'AES', ...V3_USER };

/** The single value of dataSource/instance/dataPoint in a poll's payloads. */
function value(payloads: NativePayload[], dataSource: string, dataPoint: string, instance?: string) {
  const found = payloads
    .filter((p) => p.dataSource === dataSource)
    .flatMap((p) => p.instances)
    .filter((i) => instance === undefined || i.instanceName === instance)
    .flatMap((i) => i.dataPoints.filter((d) => d.dataPointName === dataPoint))
    .flatMap((d) => Object.values(d.values));
  return found[0] as number | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SNMP polling against snmpd', () => {
  let snmpd: RunningSnmpd;
  beforeAll(async () => {
    snmpd = await startSnmpd();
  });
  afterAll(async () => {
    await snmpd?.stop();
  });

  it.each([
    ['v2c', v2c],
    ['v3 authPriv SHA/AES', v3],
  ])('reads MIB-II system and the interface tables over %s', async (_, credentials) => {
    const result = await new SnmpPoller().poll(
      resource,
      { address: '127.0.0.1', port: snmpd.port, credentials },
      Date.now(),
    );
    expect(result.sysName).toBeTruthy();
    expect(value(result.payloads, 'SNMP_System', 'UptimeSeconds')).toBeGreaterThan(0);
    expect(result.interfaces).toBeGreaterThan(0);
    const lo = result.payloads
      .filter((p) => p.dataSource === 'SNMP_Network_Interfaces')
      .flatMap((p) => p.instances)
      .find((i) => i.instanceName.startsWith('lo '));
    expect(lo?.dataPoints.map((d) => d.dataPointName)).toContain('OperStatus');
  });

  it('refuses a v3 user with the wrong privacy key', async () => {
    await expect(
      new SnmpPoller().poll(
        resource,
        {
          address: '127.0.0.1',
          port: snmpd.port,
          credentials: { ...v3, privKey: 'not-the-key-0' },
          timeoutMs: 500,
          retries: 0,
        },
        Date.now(),
      ),
    ).rejects.toThrow();
  });

  it('turns Counter32 and Counter64 into rates across a wrap and not across an agent restart', async () => {
    const poller = new SnmpPoller();
    const target = {
      address: '127.0.0.1',
      port: snmpd.port,
      credentials: v2c,
      oids: { Wrap32: COUNTER32_OID, Big64: COUNTER64_OID },
    };
    snmpd.setCounter32(2n ** 32n - 300n);
    snmpd.setCounter64(2n ** 40n);
    const first = await poller.poll(resource, target, Date.now());
    expect(value(first.payloads, 'SNMP_Custom', 'Wrap32')).toBeUndefined(); // a baseline only
    await sleep(1100);
    snmpd.setCounter32(200n); // wrapped: 300 + 200 = 500 counted
    snmpd.setCounter64(2n ** 40n + 10_000n);
    const second = await poller.poll(resource, target, Date.now());
    const seconds =
      (value(second.payloads, 'SNMP_System', 'UptimeSeconds') as number) -
      (value(first.payloads, 'SNMP_System', 'UptimeSeconds') as number);
    expect(seconds).toBeGreaterThan(0.5);
    expect(value(second.payloads, 'SNMP_Custom', 'Wrap32')).toBeCloseTo(500 / seconds, 6);
    expect(value(second.payloads, 'SNMP_Custom', 'Big64')).toBeCloseTo(10_000 / seconds, 6);

    // The agent restarts (sysUpTime starts over) and its counters with it: no rate, not a huge wrap.
    await snmpd.restart();
    snmpd.setCounter32(100n);
    snmpd.setCounter64(5n);
    const third = await poller.poll(resource, target, Date.now());
    expect(value(third.payloads, 'SNMP_Custom', 'Wrap32')).toBeUndefined();
    expect(value(third.payloads, 'SNMP_Custom', 'Big64')).toBeUndefined();
    await sleep(1100);
    snmpd.setCounter32(400n);
    const fourth = await poller.poll(resource, target, Date.now());
    const after =
      (value(fourth.payloads, 'SNMP_System', 'UptimeSeconds') as number) -
      (value(third.payloads, 'SNMP_System', 'UptimeSeconds') as number);
    expect(value(fourth.payloads, 'SNMP_Custom', 'Wrap32')).toBeCloseTo(300 / after, 6);
  });
});
