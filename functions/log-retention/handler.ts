/**
 * The daily log retention sweep (EventBridge Scheduler): sweep.ts over the region's log store, one
 * budget of work after another until every tenant is swept or the invocation nears its timeout (the
 * next day's run starts over; tenants already swept cost one listing each).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DynamoDbTenantLimitsStore } from '#adapters/aws/dynamodb-limits';
import { awsLogStore, awsTenantStore, documentClient, ENV, requiredEnv } from '#adapters/aws/wiring';
import { createObservability } from '#http/handler';
import { systemClock } from '#ports/clock';
import { LOG_STORE_RETENTION_ENV, sweepLogRetention } from './sweep';

/** Objects deleted per sweep call: a few seconds of S3 DeleteObjects. */
const BUDGET = 5_000;
const RESERVE_MS = 30_000;

const { logger } = createObservability('log-retention');
const logs = awsLogStore();
const deps = logs
  ? {
      tenants: awsTenantStore(),
      limits: new DynamoDbTenantLimitsStore(documentClient(), requiredEnv(ENV.tableName)),
      logs,
      clock: systemClock,
      storeRetentionDays: Number(requiredEnv(LOG_STORE_RETENTION_ENV)),
      budget: BUDGET,
    }
  : undefined;

export const handler = middy<unknown, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (_event, context) => {
    if (!deps) throw new Error('no log store is bound to this function');
    let cursor: string | undefined;
    let removed = 0;
    let tenants = 0;
    for (;;) {
      const run = await sweepLogRetention(deps, cursor);
      removed += run.removed;
      tenants += run.tenantsSwept;
      if (!run.more || context.getRemainingTimeInMillis() < RESERVE_MS) {
        if (run.more) logger.warn('log retention sweep stopped at its time budget', { removed, tenants });
        break;
      }
      cursor = run.cursor;
    }
    logger.info('log retention sweep done', { removed, tenants });
  });
