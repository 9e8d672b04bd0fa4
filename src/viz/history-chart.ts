import { ValueError } from '../errors.js';
import type { History } from '../train/fit.js';
import { escapeXml, niceTicks, tickLabel } from './svg.js';

/** Options of {@link historyChart}. */
export interface HistoryChartOptions {
  /** Width of one panel in pixels (default 420). */
  panelWidth?: number;
  /** Height of one panel in pixels (default 300). */
  panelHeight?: number;
  /** Title above the panels (default none). */
  title?: string;
}

const TRAIN = '#1f77b4';
const VALIDATION = '#ff7f0e';

/**
 * A `fit()` history (or one parsed from a `CSVLogger` file) as an SVG line chart: one panel per
 * quantity (loss first, then each metric such as accuracy), the training curve solid blue and
 * the validation curve (`val_` keys) dashed orange, with epochs on the x axis. Returns the SVG
 * text; the Node entry renders it to PNG (`st.viz.saveChart`).
 */
export function historyChart(history: History, opts: HistoryChartOptions = {}): string {
  const names = Object.keys(history.history).filter((k) => !k.startsWith('val_'));
  for (const k of Object.keys(history.history))
    if (k.startsWith('val_') && !names.includes(k.slice(4))) names.push(k.slice(4));
  names.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
  if (names.length === 0 || history.epochs.length === 0) {
    throw new ValueError(
      'historyChart',
      'the history has no epochs or no logged quantities; train with fit() first',
    );
  }
  const pw = opts.panelWidth ?? 420;
  const ph = opts.panelHeight ?? 300;
  const top = opts.title ? 30 : 0;
  const parts: string[] = [];
  names.forEach((name, i) => parts.push(panel(history, name, i * pw, top, pw, ph)));
  const width = pw * names.length;
  const height = ph + top;
  const title = opts.title
    ? `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>${title}${parts.join('')}</svg>`
  );
}

function panel(history: History, name: string, x0: number, y0: number, pw: number, ph: number): string {
  const series = [
    { key: name, label: 'train', color: TRAIN, dash: '' },
    { key: `val_${name}`, label: 'validation', color: VALIDATION, dash: ' stroke-dasharray="6 4"' },
  ].filter((s) => history.history[s.key]?.some((v) => Number.isFinite(v)));
  const values = series.flatMap((s) => history.history[s.key]!.filter((v) => Number.isFinite(v)));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) [lo, hi] = [lo - 0.5 * (Math.abs(lo) || 1), hi + 0.5 * (Math.abs(hi) || 1)];
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const epochs = history.epochs;
  const e0 = epochs[0]!;
  const e1 = epochs[epochs.length - 1]!;
  const m = { left: 55, right: 15, top: 44, bottom: 40 };
  const w = pw - m.left - m.right;
  const h = ph - m.top - m.bottom;
  const sx = (e: number) => x0 + m.left + (e1 > e0 ? ((e - e0) / (e1 - e0)) * w : w / 2);
  const sy = (v: number) => y0 + m.top + (1 - (v - lo) / (hi - lo)) * h;
  const out: string[] = [];
  out.push(
    `<text x="${x0 + pw / 2}" y="${y0 + 18}" text-anchor="middle" font-size="14">${escapeXml(name)}</text>`,
  );
  for (const t of niceTicks(lo, hi)) {
    out.push(
      `<line x1="${x0 + m.left}" x2="${x0 + m.left + w}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`,
    );
    out.push(
      `<text x="${x0 + m.left - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${tickLabel(t)}</text>`,
    );
  }
  const eTicks = niceTicks(e0, e1, Math.min(8, Math.max(1, e1 - e0))).filter((t) => Number.isInteger(t));
  for (const t of eTicks.length ? eTicks : [e0])
    out.push(`<text x="${sx(t)}" y="${y0 + m.top + h + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  out.push(
    `<text x="${x0 + m.left + w / 2}" y="${y0 + ph - 6}" text-anchor="middle" font-size="12">epoch</text>`,
  );
  out.push(
    `<rect x="${x0 + m.left}" y="${y0 + m.top}" width="${w}" height="${h}" fill="none" stroke="#444"/>`,
  );
  series.forEach((s, i) => {
    const pts = epochs
      .map((e, j) => [e, history.history[s.key]![j]] as const)
      .filter(([, v]) => v !== undefined && Number.isFinite(v))
      .map(([e, v]) => `${sx(e).toFixed(1)},${sy(v!).toFixed(1)}`);
    out.push(
      `<polyline points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash}/>`,
    );
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
    }
    // Legend in one row above the plot area, so it never covers a curve (none for a lone curve).
    if (series.length < 2) return;
    const ly = y0 + m.top - 8;
    const lx = x0 + m.left + i * 110;
    out.push(
      `<line x1="${lx}" x2="${lx + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dash}/>`,
    );
    out.push(`<text x="${lx + 25}" y="${ly}" font-size="11">${s.label}</text>`);
  });
  return out.join('');
}
