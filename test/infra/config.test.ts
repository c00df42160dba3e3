import { describe, expect, it } from 'vitest';
import {
  configFromContext,
  configProblems,
  DEFAULT_CONFIG,
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
  it('defaults to the five service centres, us-west-2 primary and aggregation, eu-west-2 on AMP', () => {
    expect(DEFAULT_CONFIG.regions.map((r) => `${r.region}:${r.metricStore}`)).toEqual([
      'us-west-2:timestream',
      'us-east-1:timestream',
      'eu-west-1:timestream',
      'eu-west-2:amp',
      'ap-southeast-2:timestream',
    ]);
    expect(DEFAULT_CONFIG.primaryRegion).toBe('us-west-2');
    expect(DEFAULT_CONFIG.alertAggregationRegion).toBe('us-west-2');
    expect(configProblems(DEFAULT_CONFIG)).toEqual([]);
  });

  it('names each problem: unknown primary/aggregation region, duplicates, Timestream where it does not exist', () => {
    const config: PlatformConfig = {
      ...DEFAULT_CONFIG,
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
      ...DEFAULT_CONFIG,
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
          regions: [{ region: 'eu-west-1', metricStore: 'timestream' }],
          primaryRegion: 'eu-west-1',
          alertAggregationRegion: 'eu-west-1',
        }),
        account: '123456789012',
      }),
    );
    expect(config.regions).toEqual([{ region: 'eu-west-1', metricStore: 'timestream' }]);
    expect(config.account).toBe('123456789012');
    expect(configProblems(config)).toEqual([]);
  });
});
