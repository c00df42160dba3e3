/**
 * The console in the CDK app: the Cognito user pool (MFA required, TOTP only, threat protection
 * enforced, closed sign-up, role groups), the static site (private bucket behind CloudFront with origin
 * access control, TLS 1.2 policy, the console's CSP in a response headers policy, the primary API
 * under the same origin) and the functions' wiring to the pool.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CONSOLE_ENV } from '#adapters/aws/cognito-console-identity';
import { consoleCsp } from '#http/console-csp';
import { ConsoleSite } from '../../infra/constructs/console-site';
import { STACK_PREFIX } from '../../infra/platform';
import { synthPlatform } from './support';

const synthed = synthPlatform();
const identity = synthed.template(`${STACK_PREFIX}-ConsoleIdentity`);
const site = synthed.template(`${STACK_PREFIX}-ConsoleSite`);

describe('console user pool', () => {
  it('requires TOTP MFA (no SMS), enforces threat protection and closes sign-up', () => {
    identity.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: {
        PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireUppercase: true, RequireNumbers: true }),
      },
      DeletionProtection: 'ACTIVE',
    });
    identity.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
  });

  it('has one group per role and the provider, and a public client for USER_PASSWORD_AUTH', () => {
    const groups = Object.values(identity.findResources('AWS::Cognito::UserPoolGroup')).map(
      (g) => (g as { Properties: { GroupName: string } }).Properties.GroupName,
    );
    expect(groups.sort()).toEqual(['admin', 'operator', 'provider', 'read-only']);
    identity.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH']),
    });
  });
});

describe('console user pool with passkeys', () => {
  it('offers passkeys with user verification on the console domain (-c consoleDomain)', () => {
    identity.hasResourceProperties('AWS::Cognito::UserPool', {
      WebAuthnRelyingPartyID: 'console.example.com',
      WebAuthnUserVerification: 'required',
      MfaConfiguration: 'ON',
      Policies: Match.objectLike({ SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'WEB_AUTHN'] } }),
    });
    identity.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_AUTH']),
    });
  });
});

describe('console site', () => {
  it('uploads the built console and its config.json by default, served no-cache', () => {
    site.resourceCountIs('Custom::CDKBucketDeployment', 1);
    site.hasResourceProperties('Custom::CDKBucketDeployment', {
      SourceObjectKeys: Match.arrayWith([Match.stringLikeRegexp('\\.zip$')]),
      Prune: true,
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
    const keys = Object.values(site.findResources('Custom::CDKBucketDeployment'))[0]!.Properties
      .SourceObjectKeys;
    expect(keys).toHaveLength(2);
  });

  it('refuses to synthesize without a built console, saying how to build it', () => {
    const stack = new Stack(new App(), 'Console');
    expect(
      () =>
        new ConsoleSite(stack, 'Site', {
          connectSources: [],
          config: {},
          assetsDir: '/nonexistent/web/dist',
        }),
    ).toThrow(
      /The console is not built: \/nonexistent\/web\/dist\/index\.html is missing\. Run `npm run build:web`/,
    );
  });

  it('keeps the bucket private and reads it through origin access control', () => {
    site.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      Tags: Match.arrayWith([{ Key: 'DataClassification', Value: 'public' }]),
    });
    site.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    site.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
      }),
    });
  });

  it('sends the CSP the local server sends, plus HSTS, nosniff, DENY and no referrer', () => {
    site.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: {
            ContentSecurityPolicy: consoleCsp(['https://cognito-idp.us-west-2.amazonaws.com/']),
            Override: true,
          },
          StrictTransportSecurity: Match.objectLike({
            AccessControlMaxAgeSec: 31_536_000,
            IncludeSubdomains: true,
          }),
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        },
      }),
    });
  });

  it('redirects to HTTPS and fronts the primary API under /v1, /admin and /api', () => {
    site.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        CacheBehaviors: ['/v1/*', '/admin/*', '/api/*', '/openapi.json'].map((PathPattern) =>
          Match.objectLike({ PathPattern, ViewerProtocolPolicy: 'https-only' }),
        ),
      }),
    });
    site.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 0,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization'] },
        }),
      }),
    });
  });
});

describe('functions and the pool', () => {
  const regional = synthed.regional('eu-west-1');

  it('tells every HTTP function which pool and client sign console tokens', () => {
    const functions = Object.values(regional.findResources('AWS::Lambda::Function')).filter((f) =>
      JSON.stringify(f).includes(CONSOLE_ENV.userPoolId),
    );
    expect(functions.length).toBeGreaterThanOrEqual(5);
    regional.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [CONSOLE_ENV.region]: 'us-west-2' }) },
    });
  });

  it('lets only the api and admin functions create console logins', () => {
    const policies = Object.entries(regional.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      JSON.stringify(p).includes('cognito-idp:AdminCreateUser'),
    );
    expect(policies.map(([id]) => id.replace(/ServiceRoleDefaultPolicy.*$/, '')).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Admin/), expect.stringMatching(/^Api/)]),
    );
    expect(policies).toHaveLength(2);
    // Deleting a person deletes their login too.
    expect(policies.every(([, p]) => JSON.stringify(p).includes('cognito-idp:AdminDeleteUser'))).toBe(true);
  });
});
