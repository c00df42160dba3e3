/**
 * A website-check location: checks the URLs a home region's website-check function sends it and
 * answers the results. It stores nothing (the results are the home region's to keep) and reaches
 * only public destinations. Invoked synchronously by functions/website-checks in any region.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ProbeAnswer } from '#adapters/aws/lambda-website-probes';
import { runProbes } from '#adapters/probes/website-probe';
import { AWS_WEBHOOK_POLICY } from '#domain/alerting/webhook-address';
import * as z from '#domain/zod';
import { createObservability } from '#http/handler';
import { MAX_PROBE_BATCH } from '#ports/website-probes';

const { logger } = createObservability('website-probe');

export const probeInvocationSchema = z.strictObject({
  location: z.string().check(z.minLength(1), z.maxLength(64)),
  requests: z
    .array(
      z.strictObject({
        url: z.string().check(z.minLength(1), z.maxLength(2048)),
        expectContent: z.optional(z.string().check(z.maxLength(256))),
        expectStatus: z.optional(z.array(z.int().check(z.gte(100), z.lte(599))).check(z.maxLength(20))),
      }),
    )
    .check(z.maxLength(MAX_PROBE_BATCH)),
});

export async function probe(event: unknown): Promise<ProbeAnswer> {
  const invocation = probeInvocationSchema.parse(event);
  const results = await runProbes(invocation.requests, {
    location: process.env.AWS_REGION ?? invocation.location,
    policy: AWS_WEBHOOK_POLICY,
  });
  logger.info('website probe done', {
    checks: results.length,
    down: results.filter((r) => !r.up).length,
  });
  return { results };
}

export const handler = middy<unknown, ProbeAnswer, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(probe);
