/**
 * The console as a static site: a private S3 bucket read by CloudFront through origin access control
 * (no public bucket, no OAI), HTTPS only with TLS 1.2+ (on the deployment's own domain and ACM
 * certificate when configured), and a response headers policy carrying the console's CSP
 * (shared/http/console-csp.ts, the one the local server sends) plus HSTS, nosniff, DENY framing and
 * no referrer. The built files (npm run build:web → web/dist) and config.json (where to sign in, where
 * the API is) are uploaded by a deployment when `assetsDir` is given.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { consoleCsp } from '#http/console-csp';

/** Tag naming what a store holds; `public`: no customer data (the SOC 2 disposal checks skip it). */
export const DATA_CLASSIFICATION_TAG = 'DataClassification';

export interface ConsoleSiteProps {
  /** Origins the console calls besides its own: the Cognito endpoint and the regional APIs. */
  readonly connectSources: readonly string[];
  /** What the console reads at /config.json. */
  readonly config: Readonly<Record<string, string>>;
  /** The built console; without it only the bucket and distribution are made (tests, first synth). */
  readonly assetsDir?: string;
  /** The console's own domain and its certificate (us-east-1); without it, CloudFront's domain. */
  readonly domain?: { readonly names: readonly string[]; readonly certificate: ICertificate };
}

export class ConsoleSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly headers: ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    // The console's own files: public code, no customer data (tagged so the disposal checks, which are
    // about customer data, know it). Encrypted with a rotated customer-managed key all the same;
    // origin access control grants CloudFront decrypt in the key policy.
    const key = new Key(this, 'Key', {
      description: 'Console site files',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(this, 'Site', {
      encryption: BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [
        { id: 'ExpireReplacedFiles', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'AbortUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Tags.of(this.bucket).add(DATA_CLASSIFICATION_TAG, 'public');
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "The bucket holds the console's public static files and is read by CloudFront only; who reads data is recorded by the API access logs, the audit log and Cognito.",
    });
    this.headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Console: CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(props.connectSources), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Observability console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: this.headers,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      ...(props.domain
        ? { domainNames: [...props.domain.names], certificate: props.domain.certificate }
        : {}),
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        'The distribution serves public static files; requests for data pass to the API, whose access logs, WAF logs and audit log record them.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'The console serves the tenants of every region the platform runs in; who may use it is decided by sign-in with MFA, not by geography.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'The distribution serves static files only; the APIs it calls sit behind their own regional WAF (ingest API), and sign-in behind Cognito threat protection.',
    });
    if (!props.domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a configured console domain CloudFront serves its default certificate, whose TLS floor CloudFront sets; with consoleDomain the viewer policy is TLSv1.2_2021.',
      });
    }
    if (props.assetsDir) {
      // Synthesis stays offline and fast: it uploads what was built, and says how to build it.
      if (!existsSync(join(props.assetsDir, 'index.html')))
        throw new Error(
          `The console is not built: ${join(props.assetsDir, 'index.html')} is missing. Run \`npm run build:web\` ` +
            '(npm run synth does) before synthesizing, or set consoleAssetsDir to a built console.',
        );
      const deployment = new BucketDeployment(this, 'Files', {
        sources: [Source.asset(props.assetsDir), Source.jsonData('config.json', props.config)],
        destinationBucket: this.bucket,
        // No invalidation (its IAM grant is on "*"): files are served no-cache, so CloudFront and
        // browsers revalidate them (ETag) and a deploy shows within a second.
        cacheControl: [CacheControl.noCache()],
        prune: true,
      });
      Validations.of(deployment).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'The upload function is provided by aws-s3-deployment; its runtime is chosen by the CDK version.',
      });
      this.hardenUploadFunction(deployment, key);
    }
  }

  /**
   * The upload function is aws-s3-deployment's singleton, a child of the stack (not of this construct):
   * its findings are acknowledged there, each for what it is.
   */
  private hardenUploadFunction(deployment: BucketDeployment, key: Key): void {
    const stack = Stack.of(this);
    const upload = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!upload) return;
    // Like every platform function: its own encrypted log group (kept), and active tracing.
    const fn = upload.node.findAll().find((c): c is CfnFunction => c instanceof CfnFunction);
    key.grantEncryptDecrypt(new ServicePrincipal(`logs.${stack.region}.amazonaws.com`));
    // With CDK's recommended flags the singleton brings a log group of its own, unencrypted and named
    // after the function (pointing the function at it would be a cycle): replace it with ours.
    const own = upload.node.findAll().find((c): c is CfnLogGroup => c instanceof CfnLogGroup);
    const ownScope = own?.node.scope;
    if (own && ownScope) ownScope.node.scope?.node.tryRemoveChild(ownScope.node.id);
    const logs = new LogGroup(this, 'UploadLogs', {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (fn) fn.loggingConfig = { logGroup: logs.logGroupName };
    if (fn) fn.tracingConfig = { mode: 'Active' };
    deployment.handlerRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }),
    );
    const why = (id: string, reason: string) => Validations.of(upload).acknowledge({ id, reason });
    why(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'aws-s3-deployment gives its upload function the basic execution policy (its own logs only).',
    );
    why(
      `AwsSolutions-IAM5[Resource::arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-${stack.region}/*]`,
      "Reads the console's files from the CDK bootstrap asset bucket, where cdk deploy uploaded them.",
    );
    why(
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'prune: true deletes files of the previous console build from the site bucket (this bucket only).',
    );
    why(
      'AwsSolutions-L1',
      'The upload function is provided by aws-s3-deployment; its runtime is chosen by the CDK version.',
    );
  }
}
