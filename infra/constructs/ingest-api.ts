/**
 * The public HTTP edge of one region: an API Gateway REST API (REST, not HTTP API, so a WAF web ACL
 * can front it) whose resources and methods come from ROUTES in shared/http/routes.ts, the same table
 * the local server dispatches on. TLS only (API Gateway serves HTTPS only; custom domains pin
 * TLS 1.2), access logs, stage throttling, a request validator, WAF managed rules, a per-IP rate rule
 * and an edge size limit. Optional: a custom domain, and Route 53 latency records with health checks.
 */
import { ArnFormat, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  DomainName,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  MockIntegration,
  PassthroughBehavior,
  type RequestValidator,
  RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { ARecord, HealthCheck, HealthCheckType, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayDomain } from 'aws-cdk-lib/aws-route53-targets';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { FunctionName, RouteSpec } from '#http/routes';
import { WAF_COUNT_ACKNOWLEDGED } from '../acknowledgements';
import type { CustomDomainConfig, LatencyRoutingConfig } from '../config';

export const API_STAGE_NAME = 'live';
/** Unauthenticated liveness path for Route 53 health checks (a mock integration: no function runs). */
export const HEALTH_PATH = '/health';

/** The rules of a managed rule group set to count (infra/acknowledgements.ts, with their reasons). */
const countedRulesOf = (group: string): string[] =>
  Object.keys(WAF_COUNT_ACKNOWLEDGED)
    .filter((key) => key.startsWith(`${group}/`))
    .map((key) => key.slice(group.length + 1));

export interface IngestApiProps {
  readonly routes: readonly RouteSpec[];
  /** The function behind each FunctionName that a route names. */
  readonly handlers: Readonly<Partial<Record<FunctionName, IFunction>>>;
  readonly logKey: IKey;
  readonly logRetentionDays: number;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly wafRateLimitPer5Min: number;
  readonly customDomain?: CustomDomainConfig;
  readonly latencyRouting?: LatencyRoutingConfig;
}

export class IngestApi extends Construct {
  readonly api: RestApi;
  readonly accessLogs: LogGroup;
  readonly webAcl: CfnWebACL;
  readonly domain?: DomainName;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new RestApi(this, 'Api', {
      description: 'Observability platform: ingest, query and admin API',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // The handlers decode base64 bodies (protobuf, snappy, gzip): every body arrives as binary.
      binaryMediaTypes: ['*/*'],
      // Execution logs (ERROR level) need the account-level CloudWatch role in each region.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE_NAME,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        // Standard fields only: no headers, so no bearer tokens in logs.
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      },
    });
    // Bodies are protobuf / snappy / gzip: the handlers validate them (zod, 413/415/422). The gateway
    // checks what it can understand: required path parameters.
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    this.addRoutes(props, validator);
    this.addHealthRoute();
    this.acknowledgeFindings();
    this.webAcl = this.addWaf(props, stack);

    if (props.customDomain) {
      this.domain = new DomainName(this, 'Domain', {
        domainName: props.customDomain.domainName,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
        mapping: this.api,
      });
      if (props.latencyRouting) this.addLatencyRecord(props.latencyRouting, this.domain, stack);
    }
  }

  private addRoutes(props: IngestApiProps, validator: RequestValidator): void {
    const integrations = new Map<FunctionName, LambdaIntegration>();
    for (const route of props.routes) {
      const handler = props.handlers[route.function];
      if (!handler)
        throw new Error(
          `route ${route.method} ${route.path} names function "${route.function}", which is not in the function registry (infra/functions.ts)`,
        );
      let integration = integrations.get(route.function);
      if (!integration) {
        // One integration and one invoke permission per function, scoped to this API (its stages,
        // methods and paths): a permission per method (107 routes) would take the regional stack
        // past CloudFormation's 500 resources. Only this API's methods integrate the function.
        integration = new LambdaIntegration(handler, { scopePermissionToMethod: false });
        integrations.set(route.function, integration);
      }
      const pathParameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        requestValidator: validator,
        requestParameters: Object.fromEntries(pathParameters.map((p) => [`method.request.path.${p}`, true])),
      });
    }
  }

  private acknowledgeFindings(): void {
    const api = Validations.of(this.api);
    api.acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Path parameters are validated at the gateway; bodies are binary (protobuf, snappy, gzip) that no ' +
        'API Gateway model can describe, so the handlers validate them (zod, 400/413/415/422 naming the field).',
    });
    api.acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every route authenticates a bearer credential in the handler (shared/http/auth.ts: hashed, constant-time, ' +
        'scoped to its tenant); GET /health is a mock integration that reads nothing; GET /openapi.json describes ' +
        'the API; GET /v1/report-files/{token} takes no bearer token because its token is the credential (an ' +
        'HMAC verified with KMS VerifyMac naming tenant, file and expiry: functions/alerts/report-file-routes.ts).',
    });
    api.acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are collectors and tenant tooling with platform-issued tokens, not Cognito users (see APIG4).',
    });
    api.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role: AWS documents this managed policy as the way to grant it.",
    });
  }

  private addHealthRoute(): void {
    this.api.root.resourceForPath(HEALTH_PATH).addMethod(
      'GET',
      new MockIntegration({
        passthroughBehavior: PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        integrationResponses: [
          { statusCode: '200', responseTemplates: { 'application/json': '{"status":"ok"}' } },
        ],
      }),
      { methodResponses: [{ statusCode: '200' }] },
    );
  }

  private addWaf(props: IngestApiProps, stack: Stack): CfnWebACL {
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: name,
      sampledRequestsEnabled: true,
    });
    const managed = (
      priority: number,
      name: string,
      overrides: string[] = [],
      scopeDownStatement?: CfnWebACL.StatementProperty,
    ) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
          ...(scopeDownStatement ? { scopeDownStatement } : {}),
        },
      },
      visibilityConfig: visibility(name),
    });
    // Ingest bodies are snappy, protobuf or gzip: the Common Rule Set's body rules read them as text,
    // and label values such as http://10.0.0.1:9100 match its RFI/LFI rules, rejecting whole batches.
    // The group applies to every other route (JSON); ingest keeps the other rules, the size rule and
    // its own decoders' validation. ENDS_WITH: the path arrives with or without the stage prefix.
    const notIngest: CfnWebACL.StatementProperty = {
      notStatement: {
        statement: {
          orStatement: {
            statements: props.routes
              .filter((r) => r.function === 'ingest')
              .map((r) => ({
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'ENDS_WITH',
                  searchString: r.path,
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              })),
          },
        },
      },
    };
    const acl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('IngestApiWebAcl'),
      rules: [
        managed(0, 'AWSManagedRulesAmazonIpReputationList'),
        // SizeRestrictions_BODY counts only (WAF_COUNT_ACKNOWLEDGED says why): metric batches are
        // larger than 8 KB; the size rule below and the handlers' 1 MiB limit bound bodies instead.
        managed(1, 'AWSManagedRulesCommonRuleSet', countedRulesOf('AWSManagedRulesCommonRuleSet'), notIngest),
        managed(2, 'AWSManagedRulesKnownBadInputsRuleSet'),
        {
          name: 'RatePerSourceIp',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.wafRateLimitPer5Min, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RatePerSourceIp'),
        },
        {
          // Content-Length of 2,000,000 bytes or more: far above the 1 MiB uncompressed body limit
          // (a compressed body is smaller than its inflated form), so refuse before invoking anything.
          name: 'BodyTooLarge',
          priority: 4,
          action: { block: {} },
          statement: {
            regexMatchStatement: {
              fieldToMatch: { singleHeader: { Name: 'content-length' } },
              regexString: '^([2-9][0-9]{6}|[0-9]{8,})$',
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('BodyTooLarge'),
        },
      ],
    });
    new CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
    // WAF requires the log group name to start with aws-waf-logs-. The group is retained when the
    // stack goes, so its name carries the stack instance's id: a redeploy never meets the old one.
    const wafLogs = new LogGroup(this, 'WafLogs', {
      logGroupName: `aws-waf-logs-${stack.stackName}-${Fn.select(2, Fn.split('/', stack.stackId))}`,
      retention: props.logRetentionDays,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      logDestinationConfigs: [
        stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: wafLogs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Collector credentials travel in this header.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });
    return acl;
  }

  private addLatencyRecord(routing: LatencyRoutingConfig, domain: DomainName, stack: Stack): void {
    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: routing.hostedZoneId,
      zoneName: routing.zoneName,
    });
    // Checks this region's own endpoint (the shared name would resolve to whichever region is nearest).
    const healthCheck = new HealthCheck(this, 'HealthCheck', {
      type: HealthCheckType.HTTPS,
      fqdn: `${this.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`,
      resourcePath: `/${API_STAGE_NAME}${HEALTH_PATH}`,
      port: 443,
    });
    new ARecord(this, 'LatencyRecord', {
      zone,
      recordName: routing.recordName,
      target: RecordTarget.fromAlias(new ApiGatewayDomain(domain)),
      region: stack.region,
      setIdentifier: stack.region,
      healthCheck,
    });
  }
}
