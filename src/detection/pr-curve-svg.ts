import { CATEGORY_COLORS, escapeXml } from '../viz/svg.js';
import type { PrCurve } from './average-precision.js';

/** Options of {@link prCurveSvg}. */
export interface PrCurveSvgOptions {
  width?: number;
  height?: number;
  title?: string;
}

/**
 * Precision-recall curves as an SVG document (recall on x, precision on y, one coloured line per
 * curve with its label, e.g. the class name and AP). {@link savePrCurvePng} renders it to PNG.
 */
export function prCurveSvg(
  curves: readonly { label: string; curve: PrCurve }[],
  opts: PrCurveSvgOptions = {},
): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 480;
  const m = { l: 60, r: 180, t: 40, b: 50 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const X = (r: number) => (m.l + r * pw).toFixed(1);
  const Y = (p: number) => (m.t + (1 - p) * ph).toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  ];
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    parts.push(
      `<line x1="${X(v)}" y1="${Y(0)}" x2="${X(v)}" y2="${Y(1)}" stroke="#ddd"/>`,
      `<line x1="${X(0)}" y1="${Y(v)}" x2="${X(1)}" y2="${Y(v)}" stroke="#ddd"/>`,
      `<text x="${X(v)}" y="${H - m.b + 16}" text-anchor="middle">${v.toFixed(1)}</text>`,
      `<text x="${m.l - 6}" y="${Number(Y(v)) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<text x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">recall</text>`,
    `<text x="16" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.t + ph / 2})">precision</text>`,
  );
  if (opts.title)
    parts.push(
      `<text x="${m.l + pw / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`,
    );
  curves.forEach(({ label, curve }, i) => {
    const color = CATEGORY_COLORS[i % CATEGORY_COLORS.length]!;
    // A step curve starting at (recall 0, first precision).
    const pts = [`${X(0)},${Y(curve.precision[0] ?? 0)}`];
    curve.recall.forEach((r, k) => pts.push(`${X(r)},${Y(curve.precision[k]!)}`));
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const ly = m.t + 14 + 18 * i;
    parts.push(
      `<line x1="${W - m.r + 12}" y1="${ly - 4}" x2="${W - m.r + 32}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`,
      `<text x="${W - m.r + 38}" y="${ly}">${escapeXml(label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
