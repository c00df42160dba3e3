/**
 * SigV4 signing for Amazon Managed Service for Prometheus (service `aps`). AMP has no SDK client for
 * its data plane (remote write and the Prometheus query API), so requests are plain HTTPS signed with
 * the SDK's own signer and credentials from the default provider chain (Lambda role in AWS).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export const AMP_SIGNING_SERVICE = 'aps';

/** One HTTP request before signing; the query string is carried as parameters (repeated names allowed). */
export interface UnsignedRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

/** Returns the headers to send (the given ones plus authorization, x-amz-date, …). */
export type RequestSigner = (request: UnsignedRequest) => Promise<Record<string, string>>;

export interface SigV4SignerOptions {
  readonly region: string;
  readonly service?: string;
  /** Defaults to the SDK's default chain (env, web identity, container/instance role, SSO, ini). */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Fixed signing time for tests; the current time otherwise. */
  readonly signingDate?: () => Date;
  /** Adds x-amz-content-sha256 (AMP accepts it; AWS's generic test vectors are computed without it). */
  readonly applyChecksum?: boolean;
}

export function sigv4Signer(options: SigV4SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? AMP_SIGNING_SERVICE,
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? true,
  });
  return async (request) => {
    const signed = await signer.sign(toHttpRequest(request), {
      ...(options.signingDate ? { signingDate: options.signingDate() } : {}),
    });
    return signed.headers as Record<string, string>;
  };
}

/** For a Prometheus standing in for AMP locally: no signature, the headers unchanged. */
export const unsignedRequests: RequestSigner = async (request) => ({ ...request.headers });

function toHttpRequest(request: UnsignedRequest): HttpRequest {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of request.url.searchParams) {
    const existing = query[name];
    if (existing === undefined) query[name] = value;
    else query[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return new HttpRequest({
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    ...(request.url.port ? { port: Number(request.url.port) } : {}),
    path: request.url.pathname,
    query,
    // The signer signs `host`; it must be the authority the request goes to.
    headers: { ...request.headers, host: request.url.host },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
}

/** `https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-…` → `eu-west-2`. */
export function regionFromWorkspaceUrl(workspaceUrl: string): string {
  // Also an interface VPC endpoint's DNS name: vpce-….aps-workspaces.<region>.vpce.amazonaws.com.
  const match = /(?:^|\.)aps-workspaces\.([a-z0-9-]+)\.(?:vpce\.)?amazonaws\.com(\.cn)?$/.exec(
    new URL(workspaceUrl).hostname,
  );
  if (!match?.[1]) throw new Error(`${workspaceUrl} is not an AMP workspace URL (aps-workspaces.<region>…)`);
  return match[1];
}
