import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { regionFromWorkspaceUrl, sigv4Signer, unsignedRequests } from '#adapters/aws/amp-sigv4';

/** The credentials and instant of AWS's published SigV4 test suite (aws-sig-v4-test-suite). */
const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  signingDate: () => new Date('2015-08-30T12:36:00Z'),
};
const suiteSigner = sigv4Signer({
  region: 'us-east-1',
  service: 'service',
  ...SUITE,
  applyChecksum: false,
});
const authorization = (signature: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`;

describe('sigv4Signer against AWS SigV4 test-suite vectors', () => {
  it('get-vanilla', async () => {
    const headers = await suiteSigner({
      method: 'GET',
      url: new URL('https://example.amazonaws.com/'),
      headers: {},
    });
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers['authorization']).toBe(
      authorization('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'),
    );
  });

  it('get-vanilla-query-order-key-case: parameters sorted before signing', async () => {
    const headers = await suiteSigner({
      method: 'GET',
      url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'),
      headers: {},
    });
    expect(headers['authorization']).toBe(
      authorization('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'),
    );
  });

  it('post-vanilla', async () => {
    const headers = await suiteSigner({
      method: 'POST',
      url: new URL('https://example.amazonaws.com/'),
      headers: {},
    });
    expect(headers['authorization']).toBe(
      authorization('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'),
    );
  });
});

describe('sigv4Signer for AMP', () => {
  const workspace = 'https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-1234';

  it('signs a remote write for service aps in the workspace region, body hash and session token included', async () => {
    const body = new Uint8Array([1, 2, 3, 4]);
    const signer = sigv4Signer({
      region: regionFromWorkspaceUrl(workspace),
      credentials: { ...SUITE.credentials, sessionToken: 'SESSION' },
      signingDate: SUITE.signingDate,
    });
    const headers = await signer({
      method: 'POST',
      url: new URL(`${workspace}/api/v1/remote_write`),
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body,
    });
    expect(headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(headers['x-amz-security-token']).toBe('SESSION');
    expect(headers['host']).toBe('aps-workspaces.eu-west-2.amazonaws.com');
    expect(headers['authorization']).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/eu-west-2\/aps\/aws4_request, SignedHeaders=content-encoding;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    // Deterministic for fixed credentials and time: the same request signs the same way.
    const again = await signer({
      method: 'POST',
      url: new URL(`${workspace}/api/v1/remote_write`),
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body,
    });
    expect(again['authorization']).toBe(headers['authorization']);
    // A different body gives a different signature (the payload is signed, not just the headers).
    const other = await signer({
      method: 'POST',
      url: new URL(`${workspace}/api/v1/remote_write`),
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body: new Uint8Array([9]),
    });
    expect(other['authorization']).not.toBe(headers['authorization']);
  });

  it('reads the region from the workspace URL and refuses anything else', () => {
    expect(regionFromWorkspaceUrl(workspace)).toBe('eu-west-2');
    expect(
      regionFromWorkspaceUrl(
        'https://vpce-0abc-xyz.aps-workspaces.ap-southeast-2.vpce.amazonaws.com/workspaces/ws-1',
      ),
    ).toBe('ap-southeast-2');
    expect(() =>
      regionFromWorkspaceUrl('https://aps-workspaces.eu-west-2.amazonaws.com.evil.example/'),
    ).toThrow();
    expect(() => regionFromWorkspaceUrl('http://127.0.0.1:9090')).toThrow(/not an AMP workspace URL/);
  });

  it('unsignedRequests passes the headers through untouched', async () => {
    expect(
      await unsignedRequests({ method: 'GET', url: new URL('http://127.0.0.1:1/'), headers: { a: 'b' } }),
    ).toEqual({ a: 'b' });
  });
});
