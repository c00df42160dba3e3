import type { SeriesReaderSource } from '#ports/series-source';
import { ampBackend, type PrometheusApi } from './amp-backend';
import type { QueryBackend } from './backend';
import type { PromqlEngine } from './engine';
import { engineBackend } from './engine-backend';

/**
 * The backend for a region's metric store: AMP (or its Prometheus twin) evaluates itself; a store
 * that reads series for the engine (SQLite, Timestream) is evaluated by the engine.
 */
export function regionBackend(store: unknown, engine: PromqlEngine): QueryBackend {
  if (typeof (store as Partial<PrometheusApi>).prometheusApi === 'function')
    return ampBackend(store as PrometheusApi, engine);
  if (typeof (store as Partial<SeriesReaderSource>).seriesReader === 'function')
    return engineBackend(store as SeriesReaderSource, engine);
  throw new Error('this metric store cannot answer PromQL queries');
}
