/**
 * No secret in a trace or a DEBUG log. The handlers run with the real Powertools tracer in a child
 * process set up as a Lambda environment (AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT, a sampled
 * _X_AMZN_TRACE_ID); the X-Ray SDK emits every closed subsegment as UDP to AWS_XRAY_DAEMON_ADDRESS,
 * a socket this test listens on. The secrets the calls handed out (the one-time admin token, an API
 * token, ingest keys, decrypted device credentials and secret properties, a presented forged token)
 * must appear in none of the segments and in none of the log lines; the traces still say which route
 * answered what, for which tenant (by hash).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

interface Segment {
  name: string;
  annotations?: Record<string, unknown>;
  metadata?: unknown;
  subsegments?: Segment[];
}

describe('X-Ray traces and DEBUG logs of the functions that hand out secrets', () => {
  it('carry route, status and a tenant hash, never a token, ingest key or device credential', async () => {
    const socket = createSocket('udp4');
    const datagrams: string[] = [];
    socket.on('message', (message) => datagrams.push(message.toString('utf8')));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    const secretsFile = join(mkdtempSync(join(tmpdir(), 'traced-')), 'secrets.json');
    const run = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/e2e/support/traced-secrets.ts'],
      {
        cwd: process.cwd(),
        env: {
          ...process.env,
          NODE_NO_WARNINGS: '1',
          SECRETS_OUT: secretsFile,
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
          AWS_LAMBDA_FUNCTION_NAME: 'traced',
          LAMBDA_TASK_ROOT: process.cwd(),
          _HANDLER: 'index.handler',
          _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}`,
          AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
          POWERTOOLS_TRACE_ENABLED: 'true',
          POWERTOOLS_METRICS_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          POWERTOOLS_DEV: 'false',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    // Datagrams sent just before the child exited may still be in the socket's queue.
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.close();
    const { secrets, tenantId } = JSON.parse(readFileSync(secretsFile, 'utf8')) as {
      secrets: string[];
      tenantId: string;
    };
    const segments = datagrams.map((d) => JSON.parse(d.slice(d.indexOf('\n') + 1)) as Segment);
    const handlerSegments = segments.filter((s) => s.name === '## index.handler');
    // Every call was traced (onboarding, token, collector, rotation, credential, resource, config, 401).
    expect(handlerSegments.length).toBeGreaterThanOrEqual(8);
    const logs = `${run.stdout}\n${run.stderr}`;
    for (const secret of secrets) {
      // The secret part of a token alone is enough to leak it.
      const secretPart = secret.startsWith('obs_') ? secret.slice(-43) : secret;
      for (const text of [...datagrams, logs]) expect(text).not.toContain(secretPart);
    }
    const tenantHash = createHash('sha256').update(tenantId).digest('hex').slice(0, 16);
    const annotations = handlerSegments.map((s) => s.annotations ?? {});
    expect(annotations).toContainEqual(
      expect.objectContaining({ route: 'POST /admin/v1/tenants', status: 201 }),
    );
    expect(annotations).toContainEqual(
      expect.objectContaining({ route: 'GET /v1/collector/config', status: 200, tenantIdHash: tenantHash }),
    );
    expect(annotations).toContainEqual(expect.objectContaining({ route: 'GET /v1/resources', status: 401 }));
    expect(JSON.stringify(segments)).not.toContain(tenantId);
  }, 120_000);
});
