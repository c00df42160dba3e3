/**
 * `collector run`: fetches the configuration, polls on schedule, puts every poll into the
 * write-ahead queue and lets the sender drain it. Polls never wait on the platform: a poll is done
 * once its records are on disk.
 *
 * Another record source (the syslog receiver) gets `runtime.sink` to push its records into the same
 * queue, and registers the delivery of its kind with `runtime.sender.register(kind, delivery)`.
 */
import { join } from 'node:path';
import { httpCheck, httpCheckValues } from '#adapters/probes/http-check';
import type { NativePayload } from '#domain/native-format';
import type { Identity } from './identity';
import type { Logger } from './log';
import {
  type CollectorConfig,
  type DiscoveryConfig,
  PlatformClient,
  type ResourceConfig,
} from './platform-client';
import { HostPoller } from './pollers/host';
import { payloads, type ResourceRef } from './pollers/native';
import type { SnmpCredentials, SnmpPoller } from './pollers/snmp';
import { tcpCheck } from './pollers/tcp-check';
import type { QueuedRecord, RecordSink } from './records';
import { Sender } from './sender';
import { WriteAheadQueue } from './wal';

export const VERSION = '0.1.0';

export interface RunOptions {
  readonly identity: Identity;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly hostIntervalMs?: number;
  readonly configIntervalMs?: number;
  readonly defaultResourceIntervalMs?: number;
  readonly queueMaxBytes?: number;
  readonly hostPolling?: boolean;
  /** Receive syslog (UDP and TCP) on this port and forward it through the queue; absent: no receiver. */
  readonly syslog?: { readonly port: number; readonly host?: string };
  /** Receive SNMP traps (v1, v2c) on this UDP port from these communities; forwarded as logs. */
  readonly traps?: { readonly port: number; readonly host?: string; readonly communities: readonly string[] };
}

interface Loop {
  cancelled: boolean;
  timer?: NodeJS.Timeout;
}

interface Scheduled {
  readonly resource: ResourceConfig;
  readonly loop: Loop;
}

/** Milliseconds until the next multiple of `interval`: polls land on whole interval boundaries. */
const untilNextBoundary = (interval: number, now = Date.now()) => interval - (now % interval);

export class CollectorRuntime {
  readonly queue: WriteAheadQueue;
  readonly sender: Sender;
  readonly sink: RecordSink;
  readonly #options: RunOptions;
  readonly #logger: Logger;
  readonly #platform: PlatformClient;
  readonly #host = new HostPoller();
  /** net-snmp is most of the bundle: loaded when the first SNMP device is polled, never otherwise. */
  #snmp: Promise<SnmpPoller> | undefined;
  readonly #loops = new Set<Loop>();
  readonly #scheduled = new Map<string, Scheduled>();
  #configVersion: string | undefined;
  #senderDone: Promise<void> | undefined;
  #stopped = false;
  #syslog: { udpPort: number; tcpPort: number; close(): Promise<void> } | undefined;
  #traps: { port: number; close(): Promise<void> } | undefined;
  #discovery: { settings: string; loop: Loop } | undefined;
  readonly #counters = { polls: 0, pollFailures: 0, pollMs: 0 };

  constructor(options: RunOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#logger.forget(options.identity.key);
    this.queue = new WriteAheadQueue({
      dir: join(options.stateDir, 'queue'),
      maxBytes: options.queueMaxBytes,
      onDrop: (records) =>
        this.#logger.log('warn', 'queue full: oldest records dropped', {
          records,
          dropped: this.queue.dropped,
        }),
    });
    this.#platform = new PlatformClient(options.identity.url, options.identity.key);
    this.sender = new Sender({
      url: options.identity.url,
      key: options.identity.key,
      queue: this.queue,
      logger: this.#logger,
    });
    this.sink = { push: (records) => this.#push(records) };
  }

  async start(): Promise<void> {
    this.#logger.log('info', 'collector starting', {
      version: VERSION,
      collectorId: this.#options.identity.collectorId,
      queued: this.queue.depth,
      dropped: this.queue.dropped,
    });
    this.#senderDone = this.sender.run();
    await this.#heartbeat();
    await this.#refreshConfig();
    this.#every(this.#options.configIntervalMs ?? 60_000, () => this.#refreshConfig());
    const hostInterval = this.#options.hostIntervalMs ?? 60_000;
    if (this.#options.hostPolling !== false) {
      this.#every(hostInterval, (at) => this.#timed('host', () => this.#pushPayloads(this.#host.poll(at))));
    }
    this.#every(hostInterval, (at) => this.#selfMetrics(at));
    if (this.#options.syslog) await this.#startSyslog(this.#options.syslog);
    if (this.#options.traps) await this.#startTraps(this.#options.traps);
  }

  /** Loaded only when configured, like syslog: traps are log records through the same queue. */
  async #startTraps(options: NonNullable<RunOptions['traps']>): Promise<void> {
    const [{ startTrapReceiver }, { LOG_RECORD_KIND, logsDelivery }] = await Promise.all([
      import('./traps/receiver'),
      import('./syslog/delivery'),
    ]);
    this.sender.register(LOG_RECORD_KIND, logsDelivery);
    this.#traps = await startTrapReceiver({
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      communities: options.communities,
      onRecord: (record) =>
        void this.#push([{ kind: LOG_RECORD_KIND, record }]).catch((error) =>
          this.#logger.log('error', 'trap record not queued', { error: (error as Error).message }),
        ),
      onRefused: (reason) => this.#logger.log('warn', 'trap refused', { reason }),
    });
    this.#logger.log('info', 'trap receiver listening', { udpPort: this.#traps.port });
  }

  /** The syslog receiver's bound ports, once started. */
  get syslogPorts(): { udp: number; tcp: number } | undefined {
    return this.#syslog ? { udp: this.#syslog.udpPort, tcp: this.#syslog.tcpPort } : undefined;
  }

  /** Loaded only when configured: a collector without syslog never parses the receiver. */
  async #startSyslog(options: { port: number; host?: string }): Promise<void> {
    const [{ startSyslogReceiver }, { LOG_RECORD_KIND, logsDelivery }] = await Promise.all([
      import('./syslog/receiver'),
      import('./syslog/delivery'),
    ]);
    this.sender.register(LOG_RECORD_KIND, logsDelivery);
    this.#syslog = await startSyslogReceiver({
      port: options.port,
      ...(options.host ? { host: options.host } : {}),
      // Appends of the same moment share one fsync (wal.ts), so a burst costs few writes.
      onRecord: (record) =>
        void this.#push([{ kind: LOG_RECORD_KIND, record }]).catch((error) =>
          this.#logger.log('error', 'syslog record not queued', { error: (error as Error).message }),
        ),
    });
    this.#logger.log('info', 'syslog receiver listening', {
      udpPort: this.#syslog.udpPort,
      tcpPort: this.#syslog.tcpPort,
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const loop of [...this.#loops]) this.#cancel(loop);
    await this.#syslog?.close();
    await this.#traps?.close();
    this.sender.stop();
    await this.#senderDone;
    await this.queue.close();
    this.#logger.log('info', 'collector stopped', { queued: this.queue.depth });
  }

  /** Runs `task` on every multiple of `intervalMs` (the boundary time is its timestamp). */
  #every(intervalMs: number, task: (atMs: number) => Promise<void> | void): Loop {
    const loop: Loop = { cancelled: false };
    const tick = () => {
      if (this.#stopped || loop.cancelled) return;
      const at = Math.round(Date.now() / intervalMs) * intervalMs;
      loop.timer = setTimeout(tick, untilNextBoundary(intervalMs));
      Promise.resolve()
        .then(() => task(at))
        .catch((error) =>
          this.#logger.log('error', 'scheduled task failed', { error: (error as Error).message }),
        );
    };
    loop.timer = setTimeout(tick, untilNextBoundary(intervalMs));
    this.#loops.add(loop);
    return loop;
  }

  #cancel(loop: Loop): void {
    loop.cancelled = true;
    clearTimeout(loop.timer);
    this.#loops.delete(loop);
  }

  async #push(records: readonly QueuedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.queue.append(records.map((r) => Buffer.from(JSON.stringify(r))));
  }

  async #pushPayloads(list: NativePayload[]): Promise<void> {
    await this.#push(list.map((payload) => ({ kind: 'metrics', payload })));
    for (const p of list)
      this.#logger.log('debug', 'queued', {
        dataSource: p.dataSource,
        resource: p.resourceName,
        at: Number(Object.keys(p.instances[0]?.dataPoints[0]?.values ?? {})[0]),
      });
  }

  async #timed(what: string, poll: () => Promise<void>): Promise<void> {
    const started = performance.now();
    this.#counters.polls++;
    try {
      await poll();
    } catch (error) {
      this.#counters.pollFailures++;
      this.#logger.log('warn', 'poll failed', { what, error: (error as Error).message });
    } finally {
      this.#counters.pollMs += performance.now() - started;
    }
  }

  async #selfMetrics(at: number): Promise<void> {
    const id = this.#options.identity;
    const resource: ResourceRef = {
      resourceName: `collector ${id.name || id.collectorId}`.trim(),
      resourceIds: { 'collector.id': id.collectorId },
    };
    const { polls, pollFailures, pollMs } = this.#counters;
    const values = {
      QueueDepth: this.queue.depth,
      QueueBytes: this.queue.bytes,
      DroppedTotal: this.queue.dropped,
      SentTotal: this.sender.stats.sentItems,
      RejectedTotal: this.sender.stats.rejectedItems,
      SendFailuresTotal: this.sender.stats.sendFailures,
      PollsTotal: polls,
      PollFailuresTotal: pollFailures,
      PollDurationMsAvg: polls > 0 ? pollMs / polls : undefined,
      RssBytes: process.memoryUsage.rss(),
    };
    await this.#pushPayloads(payloads(resource, 'CollectorSelf', new Map([['self', values]]), at));
    await this.#heartbeat();
  }

  /** Tells the platform this collector is alive (before the first configuration read, too: a
   * collector back from an outage takes its resources back only once the platform knows it is up). */
  async #heartbeat(): Promise<void> {
    try {
      await this.#platform.heartbeat({
        version: VERSION,
        queueDepth: this.queue.depth,
        dropped: this.queue.dropped,
        state: this.sender.stats.state,
      });
    } catch (error) {
      this.#logger.log('debug', 'heartbeat not delivered', { error: (error as Error).message });
    }
  }

  async #refreshConfig(): Promise<void> {
    let config: CollectorConfig | undefined;
    try {
      config = await this.#platform.config();
    } catch (error) {
      this.#logger.log('warn', 'configuration not fetched; polling with the last one', {
        error: (error as Error).message,
      });
      return;
    }
    if (!config || config.configVersion === this.#configVersion) return;
    for (const c of [
      ...config.resources.flatMap((r) => r.credentials),
      ...(config.discoveryCredentials ?? []),
    ])
      for (const secret of Object.values(c.secrets)) this.#logger.forget(secret);
    this.#apply(config);
    this.#applyDiscovery(config);
    this.#logger.log('info', 'configuration applied', {
      configVersion: config.configVersion,
      previous: this.#configVersion,
      resources: config.resources.length,
    });
    this.#configVersion = config.configVersion;
  }

  /** Reschedules what changed; resources unchanged keep their timers (and counter baselines). */
  #apply(config: CollectorConfig): void {
    const wanted = new Map(config.resources.map((r) => [r.resourceId, r]));
    for (const [id, s] of this.#scheduled) {
      const next = wanted.get(id);
      if (next && JSON.stringify(next) === JSON.stringify(s.resource)) continue;
      this.#cancel(s.loop);
      this.#scheduled.delete(id);
    }
    for (const resource of wanted.values()) {
      if (this.#scheduled.has(resource.resourceId)) continue;
      const interval = Math.max(
        1000,
        (resource.poll?.intervalSeconds ?? 0) * 1000 || (this.#options.defaultResourceIntervalMs ?? 60_000),
      );
      const loop = this.#every(interval, (at) =>
        this.#timed(`resource ${resource.resourceId}`, () => this.#pollResource(resource, at)),
      );
      this.#scheduled.set(resource.resourceId, { resource, loop });
    }
  }

  /** (Re)schedules discovery when its settings changed: a scan at once, then every interval. */
  #applyDiscovery(config: CollectorConfig): void {
    const settings = config.collector.discovery;
    const key = JSON.stringify([settings ?? null, config.discoveryCredentials ?? []]);
    if (this.#discovery?.settings === key) return;
    if (this.#discovery) this.#cancel(this.#discovery.loop);
    this.#discovery = undefined;
    if (!settings) return;
    const scan = () =>
      this.#timed('discovery', () => this.#discover(settings, config.discoveryCredentials ?? []));
    const loop = this.#every(Math.max(5, settings.intervalMinutes ?? 1440) * 60_000, scan);
    this.#discovery = { settings: key, loop };
    void scan();
  }

  async #discover(settings: DiscoveryConfig, credentials: ResourceConfig['credentials']): Promise<void> {
    const { discover } = await import('./discovery');
    const snmpCredentials = credentials.flatMap((c) => {
      const parsed = snmpFrom({ credentials: [c] });
      return parsed ? [{ deviceCredentialId: c.deviceCredentialId ?? '', credentials: parsed }] : [];
    });
    for (const cidr of settings.ranges) {
      const result = await discover({
        cidr,
        ports: settings.ports ?? [22, 80, 443],
        ...(snmpCredentials.length
          ? { snmp: { port: settings.snmpPort ?? 161, credentials: snmpCredentials } }
          : {}),
      });
      const answer = await this.#platform.reportDiscovery({ cidr, devices: result.devices });
      this.#logger.log('info', 'discovery scan reported', {
        cidr,
        scanned: result.scanned,
        found: result.devices.length,
        added: answer.added.length,
        proposed: answer.proposed.length,
        known: answer.known,
      });
    }
  }

  async #pollResource(resource: ResourceConfig, at: number): Promise<void> {
    const ref: ResourceRef = {
      resourceName: resource.name,
      resourceIds:
        resource.type === 'website'
          ? { 'website.id': resource.resourceId }
          : { 'system.hostname': resource.address },
    };
    if (resource.type === 'website') {
      const expectStatus = resource.poll?.http?.expectStatus;
      const result = await httpCheck({
        url: resource.address,
        ...(resource.poll?.http?.expectContent ? { expectContent: resource.poll.http.expectContent } : {}),
        ...(expectStatus?.length ? { expectStatus: (s: number) => expectStatus.includes(s) } : {}),
      });
      await this.#pushPayloads(
        payloads(ref, 'HTTPS_Check', new Map([['check', httpCheckValues(result)]]), at),
      );
      return;
    }
    const out: NativePayload[] = [];
    const snmpCredentials = snmpFrom(resource);
    if (snmpCredentials) {
      try {
        this.#snmp ??= import('./pollers/snmp').then((m) => new m.SnmpPoller());
        const result = await (await this.#snmp).poll(
          ref,
          {
            address: resource.address,
            port: resource.poll?.snmp?.port,
            credentials: snmpCredentials,
            oids: resource.poll?.snmp?.oids,
          },
          at,
        );
        out.push(...result.payloads);
      } catch (error) {
        this.#counters.pollFailures++;
        this.#logger.log('warn', 'SNMP poll failed', {
          resource: resource.resourceId,
          error: (error as Error).message,
        });
        out.push(...payloads(ref, 'SNMP_System', new Map([['system', { Up: 0 }]]), at));
      }
    }
    for (const port of resource.poll?.tcpPorts ?? []) {
      const r = await tcpCheck(resource.address, port);
      out.push(
        ...payloads(
          ref,
          'TCP_Port',
          new Map([[`port ${port}`, { Up: r.up ? 1 : 0, ConnectTimeMs: r.connectMs }]]),
          at,
        ),
      );
    }
    await this.#pushPayloads(out);
  }
}

function snmpFrom(resource: Pick<ResourceConfig, 'credentials'>): SnmpCredentials | undefined {
  for (const c of resource.credentials) {
    if (c.type === 'snmp-v2c' && c.secrets.community)
      return { version: '2c', community: c.secrets.community };
    if (c.type === 'snmp-v3')
      return {
        version: '3',
        securityName: c.secrets.securityName ?? '',
        authProtocol: (c.secrets.authProtocol ?? 'SHA') as 'SHA',
        authKey: c.secrets.authKey ?? '',
        privProtocol: (c.secrets.privProtocol ?? 'AES') as 'AES',
        privKey: c.secrets.privKey ?? '',
      };
  }
  return undefined;
}
