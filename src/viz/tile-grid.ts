import { ShapeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** Options of {@link tileGrid}. */
export interface TileGridOptions {
  /** Tiles per row (default: ceil(sqrt(number of tiles))). */
  columns?: number;
  /** Pixels between tiles and around the grid (default 1). */
  padding?: number;
  /** Value of the padding pixels, in [0, 1] (default 1: white lines). */
  padValue?: number;
  /**
   * Scaling of tile values to [0, 1]: min-max over each group of `groupSize` consecutive tiles
   * ('group', default), over all tiles ('all'), or none (values are clamped to [0, 1]).
   */
  normalize?: 'group' | 'all' | 'none';
  /** Tiles that share one min-max scaling under normalize 'group' (default 1: each tile alone). */
  groupSize?: number;
}

/**
 * Lay out tiles [T, C, h, w] (C = 1 or 3) left to right, top to bottom in one image [C, H, W] with
 * values in [0, 1], ready for colour mapping or writing as a PNG.
 */
export function tileGrid(tiles: Tensor, opts: TileGridOptions = {}): Tensor {
  const op = 'tileGrid';
  if (tiles.ndim !== 4 || (tiles.shape[1] !== 1 && tiles.shape[1] !== 3)) {
    throw new ShapeError(op, 'tiles must be [T, C, h, w] with C = 1 or 3', '[T, 1|3, h, w]', tiles.shape);
  }
  const [t, c, h, w] = tiles.shape as [number, number, number, number];
  const columns = opts.columns ?? Math.ceil(Math.sqrt(t));
  const pad = opts.padding ?? 1;
  const group = opts.groupSize ?? 1;
  const normalize = opts.normalize ?? 'group';
  if (!Number.isInteger(columns) || columns < 1 || !Number.isInteger(pad) || pad < 0 || group < 1) {
    throw new ValueError(
      op,
      `columns must be >= 1, padding >= 0 and groupSize >= 1 (integers); got ${columns}, ${pad}, ${group}`,
    );
  }
  const rows = Math.ceil(t / columns);
  const H = rows * h + (rows + 1) * pad;
  const W = columns * w + (columns + 1) * pad;
  const out = new Float32Array(c * H * W).fill(opts.padValue ?? 1);
  const per = c * h * w;
  const scale = (first: number, count: number): [number, number] => {
    if (normalize === 'none') return [0, 1];
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = first * per; i < (first + count) * per; i++) {
      lo = Math.min(lo, tiles.data[i]!);
      hi = Math.max(hi, tiles.data[i]!);
    }
    return [lo, hi > lo ? hi - lo : 1];
  };
  const all = normalize === 'all' ? scale(0, t) : null;
  for (let i = 0; i < t; i++) {
    const g0 = Math.floor(i / group) * group;
    const [lo, range] = all ?? scale(g0, Math.min(group, t - g0));
    const y0 = pad + Math.floor(i / columns) * (h + pad);
    const x0 = pad + (i % columns) * (w + pad);
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const v = (tiles.data[i * per + (ch * h + y) * w + x]! - lo) / range;
          out[(ch * H + y0 + y) * W + x0 + x] = Math.min(1, Math.max(0, v));
        }
  }
  return new Tensor(out, [c, H, W]);
}
