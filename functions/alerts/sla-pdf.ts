/**
 * An SLA report as a PDF, rendered server-side with pdfkit (no browser): the summary, one row per
 * resource, and a timeline chart (a bar per resource, coloured per slot: up, down, no data,
 * excluded downtime) drawn as vector shapes. Built in memory: a report is bounded (≤ 500 resources ×
 * ≤ 11,000 slots, drawn as runs of equal state).
 */
import PDFDocument from 'pdfkit';
import type { SlaReport, SlotState } from '#domain/reports/sla';

const COLOURS: Record<SlotState, string> = {
  up: '#2e7d32',
  down: '#c62828',
  noData: '#e0e0e0',
  excluded: '#90a4ae',
};
const pct = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(3)} %`);
const hours = (s: number) => `${(s / 3600).toFixed(1)} h`;

/** Runs of equal state: [state, first slot, length]. */
function runs(slots: readonly SlotState[]): [SlotState, number, number][] {
  const out: [SlotState, number, number][] = [];
  for (let i = 0; i < slots.length; i++) {
    const last = out.at(-1);
    if (last && last[0] === slots[i]) last[2]++;
    else out.push([slots[i] as SlotState, i, 1]);
  }
  return out;
}

export function renderSlaPdf(report: SlaReport, tenantName: string): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: { Title: report.title, Author: 'Observability platform' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.fontSize(20).text(report.title);
  doc.moveDown(0.3).fontSize(10).fillColor('#555');
  doc.text(`${tenantName} · ${report.from} to ${report.to} · slots of ${report.stepSeconds / 60} min`);
  const d = report.availability;
  doc.text(
    d.kind === 'metric'
      ? `Available when ${d.metric} ${d.operator} ${d.threshold} (per ${d.by}; no data: ${d.noData})`
      : `Available while no ${d.severity} alert is open`,
  );
  doc.text('Scheduled downtime is excluded from the denominator.');
  doc.moveDown().fillColor('#000').fontSize(14);
  doc.text(`Average availability: ${pct(report.averageAvailability)}`);
  doc.text(`All resources available at once: ${pct(report.allOkAvailability)}`);

  // Timeline chart.
  doc.moveDown().fontSize(12).text('Timeline');
  const left = 150;
  const width = doc.page.width - left - 48;
  let y = doc.y + 6;
  for (const r of report.resources) {
    if (y > doc.page.height - 120) {
      doc.addPage();
      y = 60;
    }
    doc
      .fontSize(8)
      .fillColor('#000')
      .text(r.resource.slice(0, 28), 48, y + 1, { width: left - 56 });
    const scale = width / Math.max(1, r.slots.length);
    for (const [state, first, length] of runs(r.slots))
      doc.rect(left + first * scale, y, Math.max(0.5, length * scale), 10).fill(COLOURS[state]);
    y += 14;
  }
  let legendX = left;
  for (const [state, colour] of Object.entries(COLOURS)) {
    doc.rect(legendX, y + 4, 8, 8).fill(colour);
    doc
      .fillColor('#000')
      .fontSize(8)
      .text(state === 'noData' ? 'no data' : state, legendX + 11, y + 4);
    legendX += 70;
  }

  // Table.
  doc.x = 48;
  doc.y = y + 28;
  doc.fontSize(12).fillColor('#000').text('Per resource');
  doc.moveDown(0.3).fontSize(9);
  for (const r of report.resources) {
    if (doc.y > doc.page.height - 70) doc.addPage();
    doc.text(
      `${r.resource}: ${pct(r.availability)} (up ${hours(r.upSeconds)}, down ${hours(r.downSeconds)}, no data ${hours(r.noDataSeconds)}, excluded ${hours(r.excludedSeconds)})`,
    );
  }
  if (report.excluded.length > 0) {
    doc.moveDown().fontSize(12).text('Excluded downtime');
    doc.moveDown(0.3).fontSize(9);
    for (const e of report.excluded)
      doc.text(`${e.name}: ${e.windows} window(s)${e.reason ? ` — ${e.reason}` : ''}`);
  }
  doc.end();
  return done;
}
