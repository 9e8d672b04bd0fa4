import { ShapeError } from '../errors.js';
import type { ConfusionMatrix } from '../train/metrics.js';
import { colorAt, type ColormapName } from './colormap.js';
import { escapeXml, hexColor } from './svg.js';

/** Options of {@link confusionChart}. */
export interface ConfusionChartOptions {
  /** Class names for the axes (default 0, 1, ...). */
  classNames?: readonly string[];
  /** Pixels per cell (default 40). */
  cellSize?: number;
  /** Colour map of the cells (default 'viridis'). */
  colormap?: ColormapName;
  /** Title above the matrix (default 'confusion matrix'). */
  title?: string;
}

/**
 * A confusion matrix (what `st.confusionMatrix` returns, or its counts [K][K]; rows: true class,
 * columns: predicted) as an SVG heat map: each cell coloured by its share of its row (recall per class)
 * and labelled with its count. Returns the SVG text.
 */
export function confusionChart(
  matrix: ConfusionMatrix | readonly (readonly number[])[],
  opts: ConfusionChartOptions = {},
): string {
  const rows = ('counts' in matrix ? matrix.counts : matrix).map((r) => [...r]);
  const k = rows.length;
  if (k === 0 || rows.some((r) => r.length !== k)) {
    throw new ShapeError('confusionChart', 'the confusion matrix must be square', '[K, K]', [
      k,
      rows[0]?.length ?? 0,
    ]);
  }
  const cell = opts.cellSize ?? 40;
  const names = opts.classNames ?? rows.map((_, i) => String(i));
  const left = 30 + 7 * Math.max(...names.map((n) => n.length));
  const top = 60;
  const size = k * cell;
  const width = left + size + 20;
  const height = top + size + 50;
  const cmap = opts.colormap ?? 'viridis';
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${left + size / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title ?? 'confusion matrix')}</text>`,
    `<text x="${left + size / 2}" y="42" text-anchor="middle" font-size="12">predicted</text>`,
    `<text x="12" y="${top + size / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 12 ${top + size / 2})">true</text>`,
  ];
  rows.forEach((r, i) => {
    const total = r.reduce((a, b) => a + b, 0);
    out.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${escapeXml(names[i] ?? String(i))}</text>`,
    );
    r.forEach((v, j) => {
      const share = total > 0 ? v / total : 0;
      const [cr, cg, cb] = colorAt(cmap, share);
      const light = 0.299 * cr + 0.587 * cg + 0.114 * cb > 0.5;
      const x = left + j * cell;
      const y = top + i * cell;
      out.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${hexColor([cr, cg, cb])}" stroke="white"/>`,
      );
      out.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${cell >= 36 ? 11 : 8}" fill="${light ? 'black' : 'white'}">${v}</text>`,
      );
    });
  });
  names
    .slice(0, k)
    .forEach((n, j) =>
      out.push(
        `<text x="${left + j * cell + cell / 2}" y="${top + size + 16}" text-anchor="middle" font-size="11">${escapeXml(n)}</text>`,
      ),
    );
  out.push('</svg>');
  return out.join('');
}
