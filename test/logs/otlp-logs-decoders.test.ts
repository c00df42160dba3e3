import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '#domain/errors';
import { decodeNativeLogs } from '#domain/logs/native-format';
import { parseLogQuery } from '#domain/logs/query';
import { decodeOtlpLogsJson, decodeOtlpLogsProtobuf } from '#protocols/otlp/decode-logs';
import { encodeOtlpLogsProtobuf, otlpLogsJson, typicalOtlpLogs } from './support/otlp-logs';

const NOW = Date.UTC(2026, 11, 6);

describe('OTLP logs decoders', () => {
  it('decode the same records from protobuf and JSON', () => {
    const request = typicalOtlpLogs(NOW, 'r1');
    const fromProto = decodeOtlpLogsProtobuf(encodeOtlpLogsProtobuf(request), NOW);
    expect(fromProto).toEqual(decodeOtlpLogsJson(otlpLogsJson(request), NOW));
    expect(fromProto[0]).toEqual({
      timestampMs: NOW,
      severity: 'error',
      severityNumber: 17,
      message: 'line 0 link down',
      resource: { 'host.name': 'r1', 'service.name': 'router' },
      attributes: { seq: '0' },
    });
    expect(fromProto[1]).toMatchObject({ severity: 'info', timestampMs: NOW - 1000 });
  });

  it('name the field of a malformed JSON record', () => {
    expect(() =>
      decodeOtlpLogsJson({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityNumber: 'x' }] }] }] }, NOW),
    ).toThrow(
      expect.objectContaining({
        status: 400,
        field: 'resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber',
      }),
    );
  });

  it('refuse arbitrary bytes and JSON with a 4xx, never a crash', () => {
    const refusedOrDecoded = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        if (!(error instanceof DomainError) || error.status >= 500) throw error;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        refusedOrDecoded(() => decodeOtlpLogsProtobuf(bytes, NOW)),
      ),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        refusedOrDecoded(() => decodeOtlpLogsJson(json, NOW));
        refusedOrDecoded(() => decodeNativeLogs(json, NOW));
      }),
    );
  });
});

describe('log search language', () => {
  it('parses words, phrases, severity, resource and attribute clauses', () => {
    expect(parseLogQuery('severity:ERROR AND message:"Link Down" resource.host.name:sw1 if:"ge 0"')).toEqual({
      text: [['link', 'down']],
      severity: 'error',
      resource: [['host.name', 'sw1']],
      attributes: [['if', 'ge 0']],
    });
  });
});
