/** A typical OTLP logs request in both encodings, for the decoder tests and the fuzz corpus. */
import { ProtoWriter } from '#protocols/protobuf/writer';

export interface SimpleLog {
  timeMs: number;
  severityNumber: number;
  severityText?: string;
  body: string;
  attributes: Record<string, string>;
}

export function typicalOtlpLogs(
  nowMs: number,
  host: string,
  n = 3,
): { resource: Record<string, string>; logs: SimpleLog[] } {
  return {
    resource: { 'host.name': host, 'service.name': 'router' },
    logs: Array.from({ length: n }, (_, i) => ({
      timeMs: nowMs - i * 1000,
      severityNumber: i % 2 ? 9 : 17,
      ...(i % 2 ? {} : { severityText: 'ERROR' }),
      body: `line ${i} link down`,
      attributes: { seq: String(i) },
    })),
  };
}

const kv = (w: ProtoWriter, field: number, key: string, value: string) =>
  w.tag(field, 2).fork().tag(1, 2).string(key).tag(2, 2).fork().tag(1, 2).string(value).join().join();

export function encodeOtlpLogsProtobuf(request: ReturnType<typeof typicalOtlpLogs>): Uint8Array {
  const w = new ProtoWriter();
  w.tag(1, 2).fork(); // resource_logs
  w.tag(1, 2).fork(); // resource
  for (const [k, v] of Object.entries(request.resource)) kv(w, 1, k, v);
  w.join();
  w.tag(2, 2).fork(); // scope_logs
  w.tag(1, 2).fork().tag(1, 2).string('netmon').join();
  for (const log of request.logs) {
    w.tag(2, 2).fork();
    w.tag(1, 1).fixed64(log.timeMs * 1_000_000);
    w.tag(2, 0).uint32(log.severityNumber);
    if (log.severityText) w.tag(3, 2).string(log.severityText);
    w.tag(5, 2).fork().tag(1, 2).string(log.body).join();
    for (const [k, v] of Object.entries(log.attributes)) kv(w, 6, k, v);
    w.join();
  }
  w.join().join();
  return w.finish();
}

export function otlpLogsJson(request: ReturnType<typeof typicalOtlpLogs>): unknown {
  const attrs = (m: Record<string, string>) =>
    Object.entries(m).map(([key, v]) => ({ key, value: { stringValue: v } }));
  return {
    resourceLogs: [
      {
        resource: { attributes: attrs(request.resource) },
        scopeLogs: [
          {
            scope: { name: 'netmon' },
            logRecords: request.logs.map((l) => ({
              timeUnixNano: String(l.timeMs * 1_000_000),
              severityNumber: l.severityNumber,
              ...(l.severityText ? { severityText: l.severityText } : {}),
              body: { stringValue: l.body },
              attributes: attrs(l.attributes),
            })),
          },
        ],
      },
    ],
  };
}
