/**
 * Time-series charts with uPlot (canvas; 100 k points draw smoothly). One component for every view:
 * the customer's explorer and the provider's operational page draw through it.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartSeries } from './api';
import { h } from './dom';

/** Distinguishable on white at ≥ 3:1 (WCAG non-text contrast). */
const PALETTE = ['#0b5cad', '#b3261e', '#1b7a35', '#8a4baf', '#a35200', '#00708a', '#5a5a5a', '#b0186a'];

export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface Chart {
  readonly element: HTMLElement;
  /** Draws `series`; with `range`, the x axis spans it (the query's range, not just the data's). */
  update(series: readonly ChartSeries[], range?: TimeRange): void;
  destroy(): void;
}

/** Series with their own timestamps, joined on the union of them (gaps stay gaps). */
function aligned(series: readonly ChartSeries[]): uPlot.AlignedData {
  if (series.length === 0) return [[]];
  const tables = series.map(
    (s) =>
      [
        s.timestampsMs.map((t) => t / 1000),
        s.values.map((v) => (v === null || Number.isNaN(v) ? null : v)),
      ] as uPlot.AlignedData,
  );
  return series.length === 1 ? (tables[0] as uPlot.AlignedData) : uPlot.join(tables);
}

/** 1200 → 1.2k, 3500000 → 3.5M: short enough for the axis gutter. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${+(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${+(value / 1e3).toFixed(1)}k`;
  return String(+value.toFixed(3));
}

export function chart(title: string, height = 260): Chart {
  const element = h('figure', { class: 'chart', 'aria-label': title });
  const caption = h('figcaption', null, title);
  const canvasHolder = h('div', { class: 'chart-canvas' });
  const empty = h('p', { class: 'empty' }, 'No data in this range yet.');
  element.append(caption, canvasHolder, empty);
  let plot: uPlot | undefined;
  let labels = '';
  let xRange: TimeRange | undefined;

  const width = () => Math.max(280, canvasHolder.clientWidth || element.clientWidth || 600);
  const resize = new ResizeObserver(() => plot?.setSize({ width: width(), height }));
  resize.observe(canvasHolder);

  return {
    element,
    update(series, range) {
      const started = performance.now();
      xRange = range;
      const data = aligned(series);
      const points = series.reduce((n, s) => n + s.values.length, 0);
      empty.hidden = points > 0;
      const nextLabels = series.map((s) => s.label).join('\n');
      if (plot && nextLabels === labels) {
        plot.setData(data);
      } else {
        plot?.destroy();
        labels = nextLabels;
        plot = new uPlot(
          {
            width: width(),
            height,
            series: [
              {},
              ...series.map((s, i) => ({
                label: s.label,
                stroke: PALETTE[i % PALETTE.length] as string,
                width: 1.5,
                spanGaps: false,
              })),
            ],
            scales: {
              x: {
                time: true,
                range: (_u, min, max) => (xRange ? [xRange.fromMs / 1000, xRange.toMs / 1000] : [min, max]),
              },
            },
            axes: [
              { stroke: '#333' },
              { stroke: '#333', size: 56, values: (_u, splits) => splits.map(compactNumber) },
            ],
            legend: { live: true },
            cursor: { drag: { x: true, y: false } },
          },
          data,
          canvasHolder,
        );
      }
      // Read by the browser test (render time of 10 series × 1 day at 15 s, BENCHMARKS.md).
      element.dataset.points = String(points);
      element.dataset.renderMs = (performance.now() - started).toFixed(1);
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
    },
  };
}
