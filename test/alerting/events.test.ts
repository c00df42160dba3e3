import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ALERT_EVENT_JSON_SCHEMAS,
  ALERT_EVENT_SOURCE,
  alertStateChangedDetailSchema,
  notificationRequestedDetailSchema,
} from '#domain/alerting/events';

describe('alert bus events', () => {
  it('documents exactly the schemas producer and consumer use (docs/alert-events.schema.json)', () => {
    const documented = JSON.parse(readFileSync('docs/alert-events.schema.json', 'utf8'));
    expect(documented).toEqual({ source: ALERT_EVENT_SOURCE, detailTypes: ALERT_EVENT_JSON_SCHEMAS });
  });

  it('requires the fields rules route on (tenant, severity, notify)', () => {
    const required = (schema: unknown) => (schema as { required: string[] }).required;
    for (const schema of Object.values(ALERT_EVENT_JSON_SCHEMAS))
      expect(required(schema)).toEqual(
        expect.arrayContaining(['tenantId', 'severity', 'notify', 'alertId', 'version']),
      );
  });

  it('refuses a detail missing what the notifier needs', () => {
    expect(notificationRequestedDetailSchema.safeParse({ tenantId: 't' }).success).toBe(false);
    expect(alertStateChangedDetailSchema.safeParse({ version: 2 }).success).toBe(false);
  });
});
