/**
 * The console in AWS, two stacks in the primary region:
 *   - ConsoleIdentity (before the regional stacks): the Cognito user pool, whose ids the regional
 *     functions read to verify console tokens and to create logins;
 *   - ConsoleSite (after the primary regional stack): the static site, one CloudFront distribution
 *     that also fronts the primary region's API under /v1, /admin and /api, so the console calls its
 *     own origin (no CORS) and only Cognito's endpoint besides.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { Construct } from 'constructs';
import { ConsoleSite } from '../constructs/console-site';
import { ConsoleUserPool } from '../constructs/console-user-pool';

export class ConsoleIdentityStack extends Stack {
  readonly users: ConsoleUserPool;

  constructor(scope: Construct, id: string, props: StackProps & { readonly consoleDomain?: string }) {
    super(scope, id, props);
    this.users = new ConsoleUserPool(
      this,
      'Users',
      props.consoleDomain ? { passkeyRelyingPartyId: props.consoleDomain } : {},
    );
  }
}

export interface ConsoleSiteStackProps extends StackProps {
  readonly users: ConsoleUserPool;
  /** The primary region's API, served under the console's origin. */
  readonly api: RestApi;
  readonly assetsDir?: string;
}

export const API_PATH_PATTERNS = ['/v1/*', '/admin/*', '/api/*', '/openapi.json'] as const;

export class ConsoleSiteStack extends Stack {
  readonly site: ConsoleSite;

  constructor(scope: Construct, id: string, props: ConsoleSiteStackProps) {
    super(scope, id, props);
    const cognitoEndpoint = `https://cognito-idp.${props.users.pool.stack.region}.amazonaws.com/`;
    this.site = new ConsoleSite(this, 'Site', {
      connectSources: [cognitoEndpoint],
      config: {
        authEndpoint: cognitoEndpoint,
        clientId: props.users.client.userPoolClientId,
        apiBase: '',
      },
      ...(props.assetsDir ? { assetsDir: props.assetsDir } : {}),
    });
    const apiOrigin = new HttpOrigin(
      `${props.api.restApiId}.execute-api.${props.api.stack.region}.amazonaws.com`,
      {
        originPath: `/${props.api.deploymentStage.stageName}`,
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      },
    );
    // CloudFront forwards Authorization only when the cache policy names it; TTL 0 keeps answers
    // uncached (the API sends no-store anyway).
    const passThrough = new CachePolicy(this, 'ApiPassThrough', {
      comment: 'Console API calls: not cached, bearer token forwarded',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: CacheQueryStringBehavior.all(),
    });
    for (const pattern of API_PATH_PATTERNS) {
      this.site.distribution.addBehavior(pattern, apiOrigin, {
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: passThrough,
        // Authorization and the query string reach the API; Host is the API's own.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      });
    }
  }
}
