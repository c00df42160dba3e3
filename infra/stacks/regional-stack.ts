/**
 * One region of the platform: keys, metric store, the provider token secret, the HTTP functions and
 * the ingest API built from ROUTES, and the provider's dashboard and alarms. The stack only wires
 * constructs together; what other constructs need (alerting) is exposed as public readonly fields.
 */
import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CONSOLE_ENV } from '#adapters/aws/cognito-console-identity';
import { ALERT_ENV } from '#adapters/aws/eventbridge-alert-wiring';
import { INGEST_STATE_TABLE_ENV } from '#adapters/aws/guardrails-wiring';
import { ENV } from '#adapters/aws/wiring';
import { REGION_ENV } from '#domain/region';
import { type FunctionName, ROUTES } from '#http/routes';
import { onCallEmailOf, type PlatformConfig, type RegionConfig, regionEndpointsAtSynth } from '../config';
import { Alerting } from '../constructs/alerting';
import { ArchiveBucket } from '../constructs/archive-bucket';
import type { ConsoleUserPool } from '../constructs/console-user-pool';
import { API_STAGE_NAME, IngestApi } from '../constructs/ingest-api';
import { IngestSpill, REPLAY_TIMEOUT } from '../constructs/ingest-spill';
import { IngestStateTable } from '../constructs/ingest-state-table';
import { LogRetention } from '../constructs/log-retention';
import { LogStore } from '../constructs/log-store';
import { MAGNETIC_REJECTIONS_FILTER_ID, MetricStore } from '../constructs/metric-store';
import { NoticeFanout } from '../constructs/notice-fanout';
import { OFFBOARDING_TIMEOUT, OffboardingWorker } from '../constructs/offboarding-worker';
import { OpsMonitoring } from '../constructs/ops-monitoring';
import { PlatformFunction, type PlatformFunctionProps } from '../constructs/platform-function';
import { RegionalKeys } from '../constructs/regional-keys';
import { ReportScheduler } from '../constructs/report-scheduler';
import { WebsiteChecks } from '../constructs/website-checks';
import { HTTP_FUNCTIONS } from '../functions';

export interface RegionalStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly regionConfig: RegionConfig;
  /** The global table's name (the same in every region). */
  readonly tableName: string;
  /** This region's key for the table (the multi-region primary or its replica here). */
  readonly tableKeyArn: string;
  /** The console's user pool: the API verifies its ID tokens, the api and admin functions create logins. */
  readonly consoleUsers?: ConsoleUserPool;
}

/** Props for RegionalStack.newFunction: the log key and retention come from the stack. */
export type RegionalFunctionProps = Omit<PlatformFunctionProps, 'logKey' | 'logRetentionDays'>;

export class RegionalStack extends Stack {
  readonly config: PlatformConfig;
  readonly regionConfig: RegionConfig;
  readonly isPrimaryRegion: boolean;
  readonly isAlertAggregationRegion: boolean;
  readonly keys: RegionalKeys;
  /** This region's replica of the metadata table (grants include its key and indexes). */
  readonly table: ITableV2;
  readonly metricStore: MetricStore;
  /** Regional guardrail state (rate buckets, series, usage); bind with INGEST_STATE_TABLE_ENV. */
  readonly ingestState: IngestStateTable;
  readonly providerTokenSecret: Secret;
  /** Offboarding archives (written by the offboarding worker, downloaded through the admin API). */
  readonly archives: ArchiveBucket;
  readonly offboarding: OffboardingWorker;
  readonly functions: Readonly<Record<FunctionName, PlatformFunction>>;
  readonly ingestApi: IngestApi;
  readonly ops: OpsMonitoring;
  /** Spill queue (ingest parks batches during a store outage) and its replay function. */
  readonly ingestSpill: IngestSpill;
  /** Alert bus, routing, topics, evaluator and notifier (infra/constructs/alerting.ts). */
  readonly alerting: Alerting;
  /** The admin function's self-invocation that carries a security notice to every affected tenant. */
  readonly noticeFanout: NoticeFanout;
  /** This region's website-check location and the scheduled checks of the tenants homed here. */
  readonly websiteChecks: WebsiteChecks;
  /** Tenant log lines: Firehose → S3 Parquet → Athena (infra/constructs/log-store.ts). */
  readonly logStore: LogStore;
  /** The daily sweep of each tenant's log lines past its log retention. */
  readonly logRetention: LogRetention;
  /** Hourly scheduled SLA reports, their bucket and link key (links open through the alerts API). */
  readonly reportScheduler: ReportScheduler;
  /** Every function of the region (newFunction), for the environment they all share. */
  private readonly allFunctions: PlatformFunction[] = [];

  constructor(scope: Construct, id: string, props: RegionalStackProps) {
    super(scope, id, props);
    const { config, regionConfig } = props;
    this.config = config;
    this.regionConfig = regionConfig;
    this.isPrimaryRegion = regionConfig.region === config.primaryRegion;
    this.isAlertAggregationRegion = regionConfig.region === config.alertAggregationRegion;

    this.keys = new RegionalKeys(this, 'Keys');
    const tableKey = Key.fromKeyArn(this, 'TableKey', props.tableKeyArn);
    this.table = TableV2.fromTableAttributes(this, 'Table', {
      tableName: props.tableName,
      encryptionKey: tableKey,
      grantIndexPermissions: true,
    });
    this.metricStore = new MetricStore(this, 'MetricStore', {
      kind: regionConfig.metricStore,
      key: this.keys.metricStore,
      logKey: this.keys.logs,
      logRetentionDays: config.logRetentionDays,
      magneticRetentionDays: config.magneticRetentionDays,
    });
    this.archives = new ArchiveBucket(this, 'Archives', { key: this.keys.archives, expireAfterDays: 30 });
    this.ingestState = new IngestStateTable(this, 'IngestState', { key: this.keys.metricStore });
    this.logStore = new LogStore(this, 'LogStore', {
      retentionDays: config.logDataRetentionDays ?? 30,
      logKey: this.keys.logs,
      logRetentionDays: config.logRetentionDays,
    });
    this.providerTokenSecret = new Secret(this, 'ProviderToken', {
      description: 'Provider admin bearer token (rotate: see RUNBOOK.md)',
      encryptionKey: this.keys.secrets,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(this.providerTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A bearer token handed to human operators: rotation is an operator procedure (RUNBOOK.md, rotating the ' +
        'provider token), since an automatic rotation would lock operators out without telling them.',
    });

    this.ops = new OpsMonitoring(this, 'Ops', {
      topicKey: this.keys.messaging,
      onCallEmail: onCallEmailOf(config),
      description:
        `Region ${regionConfig.region}, metric store ${regionConfig.metricStore}` +
        `${this.isPrimaryRegion ? ', primary region' : ''}` +
        `${this.isAlertAggregationRegion ? ', alert aggregation region' : ''}.`,
    });

    const functions: Partial<Record<FunctionName, PlatformFunction>> = {};
    for (const name of Object.keys(HTTP_FUNCTIONS) as FunctionName[]) {
      const spec = HTTP_FUNCTIONS[name];
      const fn = this.newFunction(pascalCase(name), {
        entry: spec.entry,
        description: spec.description,
        serviceName: name,
        memorySize: spec.memorySize,
        ...(spec.timeoutSeconds ? { timeout: Duration.seconds(spec.timeoutSeconds) } : {}),
        ...(spec.asyncInvocations ? { asyncFailureKey: this.keys.messaging } : {}),
      });
      if (spec.table) fn.bindTable(this.table, spec.table);
      if (spec.ingestState) fn.bindTable(this.ingestState.table, spec.ingestState, INGEST_STATE_TABLE_ENV);
      if (spec.metricStore) fn.bindMetricStore(this.metricStore, spec.metricStore);
      if (spec.tenantKeys)
        fn.bindTenantKeys(
          spec.tenantKeys,
          config.regions.map((r) => r.region),
        );
      if (spec.archives) fn.bindBucket(this.archives.bucket, ENV.archiveBucket, spec.archives);
      if (spec.logs) this.logStore.bind(fn, spec.logs);
      if (spec.providerToken) fn.bindSecret(this.providerTokenSecret);
      functions[name] = fn;
    }
    this.functions = functions as Record<FunctionName, PlatformFunction>;
    if (props.consoleUsers) {
      const { pool, client } = props.consoleUsers;
      for (const fn of Object.values(this.functions)) {
        fn.fn.addEnvironment(CONSOLE_ENV.region, pool.stack.region);
        fn.fn.addEnvironment(CONSOLE_ENV.userPoolId, pool.userPoolId);
        fn.fn.addEnvironment(CONSOLE_ENV.clientId, client.userPoolClientId);
      }
      props.consoleUsers.grantInvite(this.functions.api.fn);
      props.consoleUsers.grantInvite(this.functions.admin.fn);
    }

    this.ingestApi = new IngestApi(this, 'IngestApi', {
      routes: ROUTES,
      handlers: Object.fromEntries(Object.entries(this.functions).map(([n, f]) => [n, f.invokeTarget])),
      logKey: this.keys.logs,
      logRetentionDays: config.logRetentionDays,
      throttle: config.apiThrottle,
      wafRateLimitPer5Min: config.wafRateLimitPer5Min,
      customDomain: regionConfig.customDomain,
      latencyRouting: config.latencyRouting,
    });
    this.ops.watchApi(this.ingestApi.api);

    this.ingestSpill = new IngestSpill(this, 'IngestSpill', {
      key: this.keys.messaging,
      metricStore: this.metricStore,
      table: this.table,
      ingest: this.functions.ingest,
      newFunction: (id, serviceName) =>
        this.newFunction(id, {
          entry: 'functions/replay/handler.ts',
          description: 'Replays batches parked during a metric store outage',
          serviceName,
          timeout: REPLAY_TIMEOUT,
        }),
    });
    this.ops.watchDeadLetterQueue('ingest-spill', this.ingestSpill.deadLetterQueue);
    this.ops.watchSpillReplay(this.ingestSpill.queue);
    this.ops.watchLateRefusals(
      this.metricStore.magneticRejections
        ? {
            bucketName: this.metricStore.magneticRejections.bucketName,
            filterId: MAGNETIC_REJECTIONS_FILTER_ID,
          }
        : undefined,
    );

    this.offboarding = new OffboardingWorker(this, 'Offboarding', {
      regions: config.regions.map((r) => r.region),
      table: this.table,
      ingestStateTable: this.ingestState.table,
      metricStore: this.metricStore,
      archives: this.archives.bucket,
      logStore: this.logStore,
      admin: this.functions.admin,
      newFunction: (id, serviceName) =>
        this.newFunction(id, {
          entry: 'functions/offboarding/handler.ts',
          description: "Offboarding worker: exports and erases this region's share of a tenant",
          serviceName,
          timeout: OFFBOARDING_TIMEOUT,
          memorySize: 1024,
        }),
    });
    this.ops.watchDeadLetterQueue('offboarding', this.offboarding.deadLetterQueue);

    this.alerting = new Alerting(this, 'Alerting', {
      aggregationRegion: config.alertAggregationRegion,
      messagingKey: this.keys.messaging,
      table: this.table,
      metricStore: this.metricStore,
      alertsApi: this.functions.alerts,
      ingest: this.functions.ingest,
      newFunction: (fnId, fnProps) => this.newFunction(fnId, fnProps),
    });
    // Security notices (functions/admin/notices.ts): the admin API e-mails tenant admins through the
    // alert e-mail topic (subscriptions filter on `recipient`): publish on that topic only.
    this.functions.admin.fn.addEnvironment(ALERT_ENV.emailTopicArn, this.alerting.emailTopic.topicArn);
    this.alerting.emailTopic.grantPublish(this.functions.admin.fn);
    // Offboarding unsubscribes the tenant's e-mail addresses no other tenant names (functions/offboarding/
    // job.ts): finding and removing subscriptions on the e-mail topic only, never subscribing.
    this.offboarding.worker.fn.addEnvironment(ALERT_ENV.emailTopicArn, this.alerting.emailTopic.topicArn);
    this.offboarding.worker.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sns:Unsubscribe', 'sns:ListSubscriptionsByTopic'],
        resources: [this.alerting.emailTopic.topicArn],
      }),
    );
    this.noticeFanout = new NoticeFanout(this, 'NoticeFanout', { admin: this.functions.admin });
    this.ops.watchDeadLetterQueue('alert-targets', this.alerting.targetDeadLetterQueue);
    this.ops.watchDeadLetterQueue('alert-deliveries', this.alerting.deliveryDeadLetterQueue);
    // Log rules count matching lines through the region's log store.
    this.logStore.bind(this.alerting.evaluator, 'search');

    this.logRetention = new LogRetention(this, 'LogRetention', {
      logStore: this.logStore,
      storeRetentionDays: config.logDataRetentionDays ?? 30,
      table: this.table,
      messagingKey: this.keys.messaging,
      deadLetterQueue: this.alerting.targetDeadLetterQueue,
      newFunction: (fnId, fnProps) => this.newFunction(fnId, fnProps),
    });

    this.reportScheduler = new ReportScheduler(this, 'ReportScheduler', {
      table: this.table,
      metricStore: this.metricStore,
      emailTopic: this.alerting.emailTopic,
      reader: this.functions.alerts,
      messagingKey: this.keys.messaging,
      deadLetterQueue: this.alerting.targetDeadLetterQueue,
      newFunction: (fnId, fnProps) => this.newFunction(fnId, fnProps),
    });
    // Offboarding exports and erases the tenant's report PDFs with its other regional data.
    this.reportScheduler.bindEraser(this.offboarding.worker);

    this.websiteChecks = new WebsiteChecks(this, 'WebsiteChecks', {
      regions: config.regions.map((r) => r.region),
      table: this.table,
      metricStore: this.metricStore,
      messagingKey: this.keys.messaging,
      deadLetterQueue: this.alerting.targetDeadLetterQueue,
      newFunction: (fnId, fnProps) => this.newFunction(fnId, fnProps),
    });
    this.setRegionEndpoints();
  }

  /**
   * Where each region answers (onboarding, /v1/collector/config and 421s name a tenant's home
   * endpoints): REGION_ENDPOINTS, PLATFORM_DOMAIN and PLATFORM_REGIONS on every function. This region's
   * API Gateway URL is built from the API's id and stage name, not `api.url`: the stage depends on the
   * methods, which depend on the functions (a cycle).
   */
  private setRegionEndpoints(): void {
    const ownApiUrl = `https://${this.ingestApi.api.restApiId}.execute-api.${this.region}.${this.urlSuffix}/${API_STAGE_NAME}`;
    const endpoints = this.toJsonString(regionEndpointsAtSynth(this.config, this.region, ownApiUrl));
    const regions = this.config.regions.map((r) => r.region).join(',');
    for (const fn of this.allFunctions) {
      fn.fn.addEnvironment(REGION_ENV.endpoints, endpoints);
      fn.fn.addEnvironment(REGION_ENV.regions, regions);
      if (this.config.platformDomain) fn.fn.addEnvironment(REGION_ENV.domain, this.config.platformDomain);
    }
  }

  /**
   * A function with this region's defaults (log key, retention), watched by the ops dashboard and
   * alarms (and its on-failure queue, when it is invoked asynchronously).
   */
  newFunction(id: string, props: RegionalFunctionProps): PlatformFunction {
    const fn = new PlatformFunction(this, id, {
      ...props,
      logKey: this.keys.logs,
      logRetentionDays: this.config.logRetentionDays,
    });
    // Home regions (shared/domain/region.ts): tenants onboarded without a region, and those from before
    // home regions, live in the primary region; every function serves only tenants homed in its own.
    fn.fn.addEnvironment(REGION_ENV.defaultHomeRegion, this.config.primaryRegion);
    this.allFunctions.push(fn);
    this.ops.watchFunction(props.serviceName, fn.fn);
    if (fn.failureQueue) this.ops.watchDeadLetterQueue(`${props.serviceName}-failures`, fn.failureQueue);
    return fn;
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|[-_ ])(\w)/g, (_, __, c: string) => c.toUpperCase());
}
