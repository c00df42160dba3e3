import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ProbeRequest, ProbeResult } from '#domain/website-checks';
import { MAX_PROBE_BATCH, type WebsiteProbes } from '#ports/website-probes';

/** What the probe function (functions/website-probe) is invoked with and answers. */
export interface ProbeInvocation {
  readonly location: string;
  readonly requests: readonly ProbeRequest[];
}
export interface ProbeAnswer {
  readonly results: readonly ProbeResult[];
}

/**
 * Website-check locations on AWS: the probe function each platform region runs, invoked
 * synchronously from the tenant's home region. Only the URLs travel; the results come back and are
 * stored in the home region alone (residency). A location whose invocation fails, or answers with
 * something other than one result per request, counts as not reporting.
 */
export class LambdaWebsiteProbes implements WebsiteProbes {
  readonly locations: readonly string[];

  constructor(
    /** location (region) → the probe function's ARN there */
    private readonly functions: Readonly<Record<string, string>>,
    private readonly clientFor: (region: string) => LambdaClient,
    private readonly log: (message: string, fields: Record<string, unknown>) => void = () => {},
  ) {
    this.locations = Object.keys(functions).sort();
  }

  async probe(
    location: string,
    requests: readonly ProbeRequest[],
  ): Promise<readonly ProbeResult[] | undefined> {
    const functionName = this.functions[location];
    if (!functionName) return undefined;
    if (requests.length > MAX_PROBE_BATCH) throw new Error(`at most ${MAX_PROBE_BATCH} checks per probe`);
    const invocation: ProbeInvocation = { location, requests };
    try {
      const response = await this.clientFor(location).send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(invocation)),
        }),
      );
      if (response.FunctionError || !response.Payload) {
        this.log('website probe failed', { location, error: response.FunctionError ?? 'no payload' });
        return undefined;
      }
      const answer = JSON.parse(new TextDecoder().decode(response.Payload)) as Partial<ProbeAnswer>;
      if (!Array.isArray(answer.results) || answer.results.length !== requests.length) {
        this.log('website probe answered out of shape', { location });
        return undefined;
      }
      return answer.results;
    } catch (error) {
      this.log('website probe unreachable', { location, error: (error as Error).message });
      return undefined;
    }
  }
}

/** The env var naming each location's probe function (JSON: region → ARN), set by the CDK. */
export const WEBSITE_PROBES_ENV = 'WEBSITE_PROBE_FUNCTIONS';

const clients = new Map<string, LambdaClient>();

/** The probes named by WEBSITE_PROBES_ENV (region → function ARN, JSON), one client per region. */
export function awsWebsiteProbes(
  log?: (message: string, fields: Record<string, unknown>) => void,
  env: NodeJS.ProcessEnv = process.env,
): LambdaWebsiteProbes {
  const functions = JSON.parse(env[WEBSITE_PROBES_ENV] ?? '{}') as Record<string, string>;
  return new LambdaWebsiteProbes(
    functions,
    (region) => {
      let client = clients.get(region);
      if (!client) {
        client = new LambdaClient({ region });
        clients.set(region, client);
      }
      return client;
    },
    log,
  );
}
