import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Sample } from '../../shared/domain/metrics';
import { nativePayloadToSamples } from '../../shared/domain/native-format';
import { authenticate } from '../../shared/http/auth';
import { readJson, requireMediaType } from '../../shared/http/body';
import { httpHandler, type Observability, router } from '../../shared/http/handler';
import { json } from '../../shared/http/response';
import type { HttpEvent, HttpHandler } from '../../shared/http/types';
import type { Clock } from '../../shared/ports/clock';
import type { MetricStore } from '../../shared/ports/metric-store';
import type { TenantStore } from '../../shared/ports/tenant-store';
import { METRIC } from '../../shared/telemetry/metric-names';

export interface IngestDeps {
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Called with what was stored, after the write (alert evaluation on ingest hangs here). */
  readonly afterWrite?: (tenantId: string, samples: readonly Sample[]) => Promise<void>;
}

/** Collector-facing ingest: authenticate the ingest key, decode, validate, map, write. */
export function createIngestHandler(deps: IngestDeps): HttpHandler {
  const emf = deps.observability.metrics;

  async function ingestNative(event: HttpEvent) {
    const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
    requireMediaType(event, ['application/json']);
    const samples = nativePayloadToSamples(readJson(event), deps.clock.now().getTime());
    const result = await deps.metrics.write(tenantId, samples);
    emf.addMetric(METRIC.datapointsAccepted, MetricUnit.Count, result.accepted);
    emf.addMetric(METRIC.datapointsRejected, MetricUnit.Count, result.rejected.length);
    if (deps.afterWrite) {
      const rejected = new Set(result.rejected.map((r) => r.index));
      await deps.afterWrite(
        tenantId,
        samples.filter((_, i) => !rejected.has(i)),
      );
    }
    return json(202, { accepted: result.accepted, rejected: result.rejected });
  }

  return httpHandler(deps.observability, router({ 'POST /v1/ingest': ingestNative }));
}
