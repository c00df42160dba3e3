/**
 * The website-check locations: the AWS adapter (a probe function per region, invoked with the Lambda
 * client, mocked here with the exact requests asserted and answered by the probe code itself) and
 * its local twin give the same results for the same checks; the probe function refuses the
 * platform's own network whatever a tenant's URL says.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LambdaWebsiteProbes, type ProbeInvocation } from '#adapters/aws/lambda-website-probes';
import { InProcessWebsiteProbes } from '#adapters/local/in-process-website-probes';
import { runProbes } from '#adapters/probes/website-probe';
import { AWS_WEBHOOK_POLICY } from '#domain/alerting/webhook-address';
import type { ProbeRequest } from '#domain/website-checks';
import type { WebsiteProbes } from '#ports/website-probes';
import { probe as probeHandler } from '../../functions/website-probe/handler';

let site: Server;
let base: string;
const hits: string[] = [];

beforeAll(async () => {
  site = createServer((req, res) => {
    hits.push(`${req.headers['x-obs-check-location']} ${req.url}`);
    if (req.url === '/down') return void res.writeHead(500).end('no');
    res.writeHead(200).end('hello shop');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => site.close(resolve)));

const lambda = mockClient(LambdaClient);
const invocations: { region: string; input: ProbeInvocation; functionName: string }[] = [];
const regions = ['eu-west-1', 'us-east-1'];

function awsProbes(): LambdaWebsiteProbes {
  lambda.reset();
  invocations.length = 0;
  const clients = new Map(regions.map((region) => [region, new LambdaClient({ region })]));
  lambda.on(InvokeCommand).callsFake(async (input, getClient) => {
    const region = await (getClient() as LambdaClient).config.region();
    const invocation = JSON.parse(new TextDecoder().decode(input.Payload)) as ProbeInvocation;
    invocations.push({ region, input: invocation, functionName: input.FunctionName });
    expect(input.InvocationType).toBe('RequestResponse');
    // The probe function's own code answers; loopback allowed only because the test's site is local.
    const results = await runProbes(invocation.requests, {
      location: region,
      policy: { allowLoopback: true },
    });
    return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ results })) };
  });
  return new LambdaWebsiteProbes(
    Object.fromEntries(
      regions.map((r) => [r, `arn:aws:lambda:${r}:123456789012:function:obs-website-probe`]),
    ),
    (region) => clients.get(region) as LambdaClient,
  );
}

/** A Lambda response payload (the SDK's blob adapter is a Uint8Array with helpers the code does not use). */
const payload = (text: string) => new TextEncoder().encode(text) as never;

const requests = (): ProbeRequest[] => [
  { url: `${base}/`, expectContent: 'shop' },
  { url: `${base}/`, expectContent: 'absent text' },
  { url: `${base}/down` },
  { url: `${base}/down`, expectStatus: [500] },
];

describe.each([
  ['AWS (Lambda probes)', awsProbes],
  ['local (in-process)', () => new InProcessWebsiteProbes(regions, { allowLoopback: true })],
] as [string, () => WebsiteProbes][])('website probes contract: %s', (_name, make) => {
  it('names its locations and checks from each, one result per request in order', async () => {
    const probes = make();
    expect([...probes.locations]).toEqual(regions);
    hits.length = 0;
    const results = await probes.probe('us-east-1', requests());
    expect(results?.map((r) => r.up)).toEqual([true, false, false, true]);
    expect(results?.[0]?.values).toMatchObject({ Up: 1, StatusCode: 200, ContentMatched: 1 });
    expect(results?.[1]?.values).toMatchObject({ Up: 0, ContentMatched: 0 });
    expect(results?.[0]?.values['ResponseTimeMs']).toBeGreaterThan(0);
    expect(hits.every((h) => h.startsWith('us-east-1 '))).toBe(true);
  });

  it('answers undefined for a location it does not have', async () => {
    expect(await make().probe('mars-north-1', requests())).toBeUndefined();
  });
});

describe('the AWS adapter', () => {
  it('invokes the probe function of the location region with the URLs only', async () => {
    const probes = awsProbes();
    await probes.probe('eu-west-1', [{ url: `${base}/` }]);
    expect(invocations).toEqual([
      {
        region: 'eu-west-1',
        functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:obs-website-probe',
        input: { location: 'eu-west-1', requests: [{ url: `${base}/` }] },
      },
    ]);
  });

  it('counts a failing or malformed probe as not reporting', async () => {
    const probes = awsProbes();
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload('{}') });
    expect(await probes.probe('eu-west-1', [{ url: `${base}/` }])).toBeUndefined();
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: payload(JSON.stringify({ results: [] })) });
    expect(await probes.probe('eu-west-1', [{ url: `${base}/` }])).toBeUndefined();
    lambda.on(InvokeCommand).rejectsOnce(new Error('AccessDeniedException'));
    expect(await probes.probe('eu-west-1', [{ url: `${base}/` }])).toBeUndefined();
  });
});

describe('the probe function', () => {
  it.each([
    'http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', // the Lambda runtime API
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.5/',
    'http://localhost/',
    'http://[::1]/',
    'http://[::ffff:169.254.169.254]/',
    'ftp://example.com/',
    'https://user:secret@example.com/',
  ])('refuses %s without a request', async (url) => {
    hits.length = 0;
    const { results } = await probeHandler({ location: 'eu-west-1', requests: [{ url }] });
    expect(results[0]).toMatchObject({ up: false, values: { Up: 0 } });
    expect(results[0]?.error).toBeTruthy();
    expect(hits).toEqual([]);
  });

  it('refuses a name that resolves to the platform network at connect time (DNS rebinding)', async () => {
    const port = (site.address() as AddressInfo).port;
    const rebinding = ((_host: string, _options: unknown, callback: (e: null, a: unknown) => void) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }])) as never;
    const results = await runProbes([{ url: `http://shop.example:${port}/` }], {
      location: 'eu-west-1',
      policy: AWS_WEBHOOK_POLICY,
      resolve: rebinding,
    });
    expect(results[0]?.up).toBe(false);
    expect(results[0]?.error).toMatch(/may not reach/);
    expect(hits).toEqual([]);
  });

  it('refuses more checks than one batch holds', async () => {
    const requestsTooMany = Array.from({ length: 101 }, () => ({ url: 'https://example.com/' }));
    await expect(probeHandler({ location: 'eu-west-1', requests: requestsTooMany })).rejects.toThrow();
  });
});
