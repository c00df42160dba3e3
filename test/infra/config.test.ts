import { describe, expect, it } from 'vitest';
import {
  assertDeployable,
  configFromContext,
  configProblems,
  DEFAULT_CONFIG,
  describeMetricStores,
  type PlatformConfig,
  PlatformConfigError,
  withEveryRegionOn,
} from '../../infra/config';
import { resourceTypeExistsIn } from '../../infra/region-facts';

const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });

describe('region facts (aws-cdk-lib CloudFormation Validate, offline)', () => {
  it('knows where Timestream for LiveAnalytics and AMP exist', () => {
    expect(resourceTypeExistsIn('AWS::Timestream::Database', 'us-west-2')).toBe(true);
    expect(resourceTypeExistsIn('AWS::Timestream::Database', 'eu-west-1')).toBe(true);
    expect(resourceTypeExistsIn('AWS::Timestream::Database', 'eu-west-2')).toBe(false);
    expect(resourceTypeExistsIn('AWS::Timestream::Database', 'ca-central-1')).toBe(false);
    expect(resourceTypeExistsIn('AWS::APS::Workspace', 'eu-west-2')).toBe(true);
  });
});

describe('platform config', () => {
  const deployable = { ...DEFAULT_CONFIG, onCallEmail: 'oncall@example.com' };

  it('defaults to the five service centres on AMP (what a new account can have), us-west-2 primary and aggregation', () => {
    expect(DEFAULT_CONFIG.regions.map((r) => `${r.region}:${r.metricStore}`)).toEqual([
      'us-west-2:amp',
      'us-east-1:amp',
      'eu-west-1:amp',
      'eu-west-2:amp',
      'ap-southeast-2:amp',
    ]);
    expect(DEFAULT_CONFIG.primaryRegion).toBe('us-west-2');
    expect(DEFAULT_CONFIG.alertAggregationRegion).toBe('us-west-2');
    expect(configProblems(deployable)).toEqual([]);
  });

  it('refuses a config without an on-call address, or with one that is not an address', () => {
    expect(configProblems(DEFAULT_CONFIG)).toEqual([
      expect.stringMatching(/^onCallEmail: the ops alarms need someone to reach; pass -c onCallEmail=/),
    ]);
    expect(() => assertDeployable(DEFAULT_CONFIG)).toThrow(/onCallEmail/);
    expect(configProblems({ ...DEFAULT_CONFIG, onCallEmail: 'oncall' })).toEqual([
      'onCallEmail: "oncall" is not an e-mail address',
    ]);
    expect(configFromContext(context({ onCallEmail: 'ops@example.com' })).onCallEmail).toBe(
      'ops@example.com',
    );
  });

  it('opts regions into Timestream with timestreamRegions, and says which store each region gets', () => {
    const config = configFromContext(
      context({ timestreamRegions: 'us-west-2, eu-west-1', onCallEmail: 'oncall@example.com' }),
    );
    expect(config.regions.filter((r) => r.metricStore === 'timestream').map((r) => r.region)).toEqual([
      'us-west-2',
      'eu-west-1',
    ]);
    expect(configProblems(config)).toEqual([]);
    expect(describeMetricStores(config)).toEqual([
      'us-west-2: Timestream for LiveAnalytics (opted in)',
      'us-east-1: Amazon Managed Service for Prometheus',
      'eu-west-1: Timestream for LiveAnalytics (opted in)',
      'eu-west-2: Amazon Managed Service for Prometheus',
      'ap-southeast-2: Amazon Managed Service for Prometheus',
    ]);
    expect(() => configFromContext(context({ timestreamRegions: 'sa-east-1' }))).toThrow(
      /timestreamRegions: sa-east-1 is not one of the configured regions/,
    );
    // eu-west-2 has no Timestream: opting it in is refused by name.
    expect(configProblems(configFromContext(context({ timestreamRegions: 'eu-west-2' })))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^regions\[eu-west-2\]\.metricStore: Timestream/)]),
    );
  });

  it('copies the backups to a second configured region', () => {
    expect(configProblems({ ...deployable, backupCopyRegion: 'us-west-2' })).toEqual([
      expect.stringMatching(/^backupCopyRegion: the metadata backups need a copy outside us-west-2/),
    ]);
    expect(configProblems({ ...deployable, backupCopyRegion: 'sa-east-1' })).toEqual([
      'backupCopyRegion: sa-east-1 is not one of the configured regions',
    ]);
  });

  it('names each problem: unknown primary/aggregation region, duplicates, Timestream where it does not exist', () => {
    const config: PlatformConfig = {
      ...deployable,
      regions: [
        ...DEFAULT_CONFIG.regions,
        { region: 'eu-west-1', metricStore: 'timestream' },
        { region: 'ca-central-1', metricStore: 'timestream' },
      ],
      primaryRegion: 'sa-east-1',
      alertAggregationRegion: 'eu-north-1',
    };
    const problems = configProblems(config);
    expect(problems).toEqual(
      expect.arrayContaining([
        'regions: eu-west-1 listed more than once',
        'primaryRegion: sa-east-1 is not one of the configured regions',
        'alertAggregationRegion: eu-north-1 is not one of the configured regions',
        expect.stringMatching(
          /^regions\[ca-central-1\]\.metricStore: Timestream for LiveAnalytics .* does not exist in ca-central-1/,
        ),
      ]),
    );
  });

  it('requires a custom domain with the shared name in every region for latency routing', () => {
    const problems = configProblems({
      ...deployable,
      latencyRouting: { hostedZoneId: 'Z1', zoneName: 'example.com', recordName: 'ingest.example.com' },
    });
    expect(problems).toEqual([expect.stringMatching(/^latencyRouting: every region needs customDomain/)]);
  });

  it('switches every region to AMP from context, and rejects an unknown store', () => {
    const amp = configFromContext(context({ metricStore: 'amp' }));
    expect(amp.regions.every((r) => r.metricStore === 'amp')).toBe(true);
    expect(withEveryRegionOn(DEFAULT_CONFIG, 'amp')).toEqual(amp);
    expect(() => configFromContext(context({ metricStore: 'influx' }))).toThrow(PlatformConfigError);
  });

  it('merges a JSON platformConfig and an account from context', () => {
    const config = configFromContext(
      context({
        platformConfig: JSON.stringify({
          regions: [
            { region: 'eu-west-1', metricStore: 'timestream' },
            { region: 'eu-central-1', metricStore: 'amp' },
          ],
          primaryRegion: 'eu-west-1',
          alertAggregationRegion: 'eu-west-1',
        }),
        account: '123456789012',
        onCallEmail: 'oncall@example.com',
      }),
    );
    expect(config.regions).toEqual([
      { region: 'eu-west-1', metricStore: 'timestream' },
      { region: 'eu-central-1', metricStore: 'amp' },
    ]);
    expect(config.account).toBe('123456789012');
    expect(configProblems(config)).toEqual([]);
  });
});
