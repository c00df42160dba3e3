import { describe, expect, it } from 'vitest';
import type { NotificationRequestedDetail } from '#domain/alerting/events';
import { signWebhook, verifyWebhook, webhookBody } from '#domain/alerting/webhook';

const detail: NotificationRequestedDetail = {
  version: 1,
  tenantId: 't1',
  alertId: 'a1',
  ruleId: 'r1',
  ruleName: 'CPU busy',
  severity: 'error',
  metric: 'cpu_busy',
  dimensions: { 'system.hostname': 'web-1', datasource: 'CPU' },
  resource: 'web-1',
  value: 85,
  status: 'open',
  openedAt: '2026-01-01T00:00:00.000Z',
  notify: true,
  kind: 'alert',
  chainId: 'c1',
  stage: 0,
  at: '2026-01-01T00:00:00.000Z',
};

describe('webhook bodies', () => {
  it('generic JSON carries the whole detail and its one-line message', () => {
    expect(webhookBody('generic', detail)).toEqual({
      type: 'alert.notification',
      message: '[ERROR] CPU busy: cpu_busy = 85 on web-1',
      ...detail,
    });
  });

  it('an escalation says what it escalated from, with the values, in every format', () => {
    const escalated = {
      ...detail,
      severity: 'critical' as const,
      value: 95,
      previousSeverity: 'warning' as const,
      previousValue: 65,
      sequence: 1,
    };
    const line = '[CRITICAL] CPU busy: cpu_busy = 95 on web-1 (escalated from warning to critical: 65 → 95)';
    expect(webhookBody('generic', escalated)).toMatchObject({ type: 'alert.notification', message: line });
    expect(webhookBody('slack', escalated)).toMatchObject({ text: line });
    expect(webhookBody('pagerduty', escalated)).toMatchObject({
      event_action: 'trigger',
      payload: { summary: line, severity: 'critical' },
    });
    expect(
      webhookBody('generic', {
        ...escalated,
        kind: 'deescalated',
        severity: 'warning',
        previousSeverity: 'critical',
        value: 65,
        previousValue: 95,
      }),
    ).toMatchObject({
      type: 'alert.deescalated',
      message: '[WARNING] CPU busy: cpu_busy = 65 on web-1 (de-escalated from critical to warning: 95 → 65)',
    });
  });

  it('Slack style: text and a coloured attachment', () => {
    expect(webhookBody('slack', detail)).toMatchObject({
      text: '[ERROR] CPU busy: cpu_busy = 85 on web-1',
      attachments: [
        {
          color: '#f28c28',
          fields: expect.arrayContaining([{ title: 'Severity', value: 'error', short: true }]),
        },
      ],
    });
    expect(webhookBody('slack', { ...detail, kind: 'clear' })).toMatchObject({
      text: '[CLEARED] CPU busy: cpu_busy = 85 on web-1',
      attachments: [{ color: '#2da44e' }],
    });
  });

  it('PagerDuty Events v2: trigger and resolve with the alert id as dedup key', () => {
    expect(webhookBody('pagerduty', detail, { routingKey: 'R0UT1NGKEY' })).toEqual({
      routing_key: 'R0UT1NGKEY',
      event_action: 'trigger',
      dedup_key: 'a1',
      payload: {
        summary: '[ERROR] CPU busy: cpu_busy = 85 on web-1',
        source: 'web-1',
        severity: 'error',
        timestamp: '2026-01-01T00:00:00.000Z',
        component: 'web-1',
        group: 'CPU',
        class: 'cpu_busy',
        custom_details: { ruleId: 'r1', value: 85, dimensions: detail.dimensions },
      },
    });
    expect(webhookBody('pagerduty', { ...detail, kind: 'clear' })).toMatchObject({
      event_action: 'resolve',
      dedup_key: 'a1',
    });
  });
});

describe('HMAC signature', () => {
  const body = JSON.stringify(webhookBody('generic', detail));
  it('verifies what it signs, and nothing else', () => {
    const header = signWebhook('k'.repeat(32), body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook('k'.repeat(32), body, header, 1_700_000_010)).toBe(true);
    expect(verifyWebhook('x'.repeat(32), body, header, 1_700_000_010)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), `${body} `, header, 1_700_000_010)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), body, header, 1_700_001_000)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), body, undefined, 1_700_000_010)).toBe(false);
  });
});
