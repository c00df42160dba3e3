/**
 * The collector's calls to the platform other than delivery: its configuration (what to poll, with
 * the device credentials in clear — so only over TLS, or to loopback for a local platform) and its
 * heartbeat. The configuration is fetched with If-None-Match: an unchanged one costs a 304.
 */
import type { PollSettings } from '#domain/entities';
import { httpCall } from './http-request';

export interface ResourceConfig {
  readonly resourceId: string;
  readonly type: 'device' | 'website';
  readonly name: string;
  readonly address: string;
  readonly properties: Record<string, string>;
  readonly poll?: PollSettings;
  readonly credentials: ReadonlyArray<{
    readonly deviceCredentialId?: string;
    readonly type: string;
    readonly secrets: Record<string, string>;
  }>;
}

export interface DiscoveryConfig {
  readonly ranges: readonly string[];
  readonly ports?: readonly number[];
  readonly snmpPort?: number;
  readonly intervalMinutes?: number;
}

export interface CollectorConfig {
  readonly configVersion: string;
  readonly collector: {
    readonly collectorId: string;
    readonly name: string;
    readonly discovery?: DiscoveryConfig;
  };
  readonly resources: readonly ResourceConfig[];
  readonly discoveryCredentials?: ResourceConfig['credentials'];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Credentials travel only over TLS; plain HTTP is accepted for a platform on this machine only. */
export function assertSecureUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--url ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  throw new Error('--url must be https:// (plain http only to a platform on this machine)');
}

export class PlatformError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export class PlatformClient {
  readonly #base: URL;
  readonly #key: string;
  #etag: string | undefined;

  constructor(url: string, key: string) {
    this.#base = assertSecureUrl(url);
    this.#key = key;
  }

  /** The configuration, or undefined when it has not changed since the last call. */
  async config(): Promise<CollectorConfig | undefined> {
    const response = await httpCall(new URL('/v1/collector/config', this.#base), {
      headers: {
        authorization: `Bearer ${this.#key}`,
        ...(this.#etag ? { 'if-none-match': this.#etag } : {}),
      },
    });
    if (response.status === 304) return undefined;
    if (response.status < 200 || response.status > 299) {
      throw new PlatformError(
        `configuration: HTTP ${response.status} ${response.body.slice(0, 200)}`,
        response.status,
      );
    }
    const config = JSON.parse(response.body) as CollectorConfig;
    this.#etag = response.header('etag');
    return config;
  }

  /** One range's discovery result; the platform answers what it added and proposed. */
  async reportDiscovery(report: unknown): Promise<{ added: string[]; proposed: string[]; known: number }> {
    const response = await httpCall(new URL('/v1/collector/discoveries', this.#base), {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#key}`, 'content-type': 'application/json' },
      body: JSON.stringify(report),
    });
    if (response.status < 200 || response.status > 299)
      throw new PlatformError(
        `discovery: HTTP ${response.status} ${response.body.slice(0, 200)}`,
        response.status,
      );
    return JSON.parse(response.body) as { added: string[]; proposed: string[]; known: number };
  }

  async heartbeat(body: Record<string, number | string>): Promise<void> {
    const response = await httpCall(new URL('/v1/collector/heartbeat', this.#base), {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status < 200 || response.status > 299)
      throw new PlatformError(`heartbeat: HTTP ${response.status}`, response.status);
  }
}
