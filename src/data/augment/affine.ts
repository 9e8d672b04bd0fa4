import { ValueError } from '../../errors.js';
import { allocate } from '../../tensor/dtype.js';
import { defaultRng } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkProbability, checkRange, imageDims, symmetricRange, type Transform } from './transform.js';

/**
 * A 2-D affine map in pixel coordinates, row-major 2x3: `[a, b, tx, c, d, ty]` sends the point
 * (x, y) to (a·x + b·y + tx, c·x + d·y + ty). x is the column and y the row (pointing down), and
 * pixel centres sit at integer coordinates.
 */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/** How warped images are sampled. */
export type Interpolation = 'bilinear' | 'nearest';

/** Options of {@link warpAffine} and the functions built on it. */
export interface WarpOptions {
  /** Value of output pixels that fall outside the input (default 0). */
  fill?: number;
  /** Sampling (default `bilinear`; `nearest` keeps values unchanged, e.g. for label masks). */
  interpolation?: Interpolation;
}

/**
 * Warp a CHW image by the affine map `matrix`, which sends input coordinates to output
 * coordinates; the output has the input's size. Each output pixel is sampled from the input at
 * the inverse-mapped point; with bilinear sampling, neighbours outside the input count as `fill`
 * (PyTorch's `grid_sample` with `padding_mode='zeros'` when fill is 0). Rotation, translation,
 * scaling and shear are all this one operation.
 */
export function warpAffine(x: Tensor, matrix: AffineMatrix, opts: WarpOptions = {}): Tensor {
  const { c, h, w } = imageDims('warpAffine', x);
  const [a, b, tx, cc, d, ty] = matrix;
  const det = a * d - b * cc;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new ValueError(
      'warpAffine',
      `the affine matrix [${matrix.join(', ')}] is singular; it cannot be inverted`,
    );
  }
  // Inverse map: output (X, Y) -> input (u, v).
  const ia = d / det;
  const ib = -b / det;
  const ic = -cc / det;
  const id = a / det;
  const itx = -(ia * tx + ib * ty);
  const ity = -(ic * tx + id * ty);
  const fill = opts.fill ?? 0;
  const nearest = (opts.interpolation ?? 'bilinear') === 'nearest';
  const src = x.data;
  const out = allocate(x.dtype, x.size);
  const plane = h * w;
  for (let Y = 0; Y < h; Y++) {
    for (let X = 0; X < w; X++) {
      const u = snap(ia * X + ib * Y + itx);
      const v = snap(ic * X + id * Y + ity);
      const o = Y * w + X;
      if (nearest) {
        const uj = Math.round(u);
        const vi = Math.round(v);
        const inside = uj >= 0 && uj < w && vi >= 0 && vi < h;
        for (let ch = 0; ch < c; ch++) out[ch * plane + o] = inside ? src[ch * plane + vi * w + uj]! : fill;
        continue;
      }
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const fx = u - x0;
      const fy = v - y0;
      const in00 = x0 >= 0 && x0 < w && y0 >= 0 && y0 < h;
      const in01 = x0 + 1 >= 0 && x0 + 1 < w && y0 >= 0 && y0 < h;
      const in10 = x0 >= 0 && x0 < w && y0 + 1 >= 0 && y0 + 1 < h;
      const in11 = x0 + 1 >= 0 && x0 + 1 < w && y0 + 1 >= 0 && y0 + 1 < h;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const base = y0 * w + x0;
      for (let ch = 0; ch < c; ch++) {
        const p = ch * plane + base;
        out[ch * plane + o] =
          w00 * (in00 ? src[p]! : fill) +
          w01 * (in01 ? src[p + 1]! : fill) +
          w10 * (in10 ? src[p + w]! : fill) +
          w11 * (in11 ? src[p + w + 1]! : fill);
      }
    }
  }
  return new Tensor(out, x.shape);
}

/** Round coordinates within 1e-9 of an integer to it, so 90-degree turns sample pixels exactly. */
function snap(t: number): number {
  const r = Math.round(t);
  return Math.abs(t - r) < 1e-9 ? r : t;
}

/** The parameters of one affine augmentation, as torchvision's `F.affine` takes them. */
export interface AffineParams {
  /** Rotation in degrees, counter-clockwise as the image is displayed (default 0). */
  angle?: number;
  /** Shift `[dx, dy]` in pixels, right and down (default [0, 0]). */
  translate?: readonly [number, number];
  /** Zoom factor, > 0 (default 1). */
  scale?: number;
  /**
   * Shear angles `[sx, sy]` in degrees (default [0, 0]): `sx` slants the image horizontally
   * (x += tan(sx)·y, rows further down move further right), `sy` vertically (y += tan(sy)·x).
   */
  shear?: readonly [number, number];
}

/**
 * The forward matrix of an affine augmentation about the image centre ((W-1)/2, (H-1)/2): scale,
 * then shear, then rotate, then translate.
 */
export function affineMatrix(height: number, width: number, params: AffineParams): AffineMatrix {
  const angle = ((params.angle ?? 0) * Math.PI) / 180;
  const [dx, dy] = params.translate ?? [0, 0];
  const s = params.scale ?? 1;
  if (!(s > 0)) throw new ValueError('affineMatrix', `scale must be > 0, got ${s}`);
  const [sx, sy] = params.shear ?? [0, 0];
  const kx = Math.tan((sx * Math.PI) / 180);
  const ky = Math.tan((sy * Math.PI) / 180);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // Rotation counter-clockwise on screen (y down): x' = x cos + y sin, y' = -x sin + y cos.
  // A = R · Shear · Scale.
  const a = s * (cos + sin * ky);
  const b = s * (cos * kx + sin);
  const c = s * (-sin + cos * ky);
  const d = s * (-sin * kx + cos);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  return [a, b, cx + dx - (a * cx + b * cy), c, d, cy + dy - (c * cx + d * cy)];
}

/** Apply one affine augmentation with the given parameters (torchvision `F.affine`). */
export function affineImage(x: Tensor, params: AffineParams, opts: WarpOptions = {}): Tensor {
  const { h, w } = imageDims('affineImage', x);
  return warpAffine(x, affineMatrix(h, w, params), opts);
}

/** Rotate a CHW image by `angle` degrees counter-clockwise about its centre, keeping its size. */
export function rotateImage(x: Tensor, angle: number, opts: WarpOptions = {}): Tensor {
  return affineImage(x, { angle }, opts);
}

/** Options of {@link randomAffine}. */
export interface RandomAffineOptions extends WarpOptions {
  /** Rotation range in degrees: `d` means [-d, d] (default 0). */
  degrees?: number | readonly [number, number];
  /** Maximum shift as a fraction of `[width, height]`; the shift in pixels is rounded (default none). */
  translate?: readonly [number, number];
  /** Zoom range `[lo, hi]` (default none). */
  scale?: readonly [number, number];
  /**
   * Shear range in degrees: `s` means x-shear in [-s, s]; `[lo, hi]` an x-shear range;
   * `[xlo, xhi, ylo, yhi]` both (default none).
   */
  shear?: number | readonly [number, number] | readonly [number, number, number, number];
  /** Probability of applying the warp (default 1). */
  p?: number;
}

/**
 * Random rotation, translation, zoom and shear in one bilinear warp (torchvision `RandomAffine`).
 * Draws, in order: the angle, the x and y shifts, the zoom, the x and y shear.
 */
export function randomAffine(opts: RandomAffineOptions = {}): Transform {
  const op = 'randomAffine';
  const degrees = symmetricRange(op, 'degrees', opts.degrees ?? 0);
  const translate = opts.translate ? checkRange(op, 'translate', opts.translate, 0, 1) : null;
  const scale = opts.scale ? checkRange(op, 'scale', opts.scale, Number.MIN_VALUE, Infinity) : null;
  let shearX: [number, number] | null = null;
  let shearY: [number, number] | null = null;
  if (opts.shear !== undefined) {
    const s = opts.shear;
    if (typeof s === 'number' || s.length === 2)
      shearX = symmetricRange(op, 'shear', s as number | [number, number]);
    else {
      shearX = symmetricRange(op, 'shear x', [s[0], s[1]]);
      shearY = symmetricRange(op, 'shear y', [s[2], s[3]]);
    }
  }
  const p = opts.p ?? 1;
  checkProbability(op, p);
  const warp: WarpOptions = {
    ...(opts.fill !== undefined ? { fill: opts.fill } : {}),
    ...(opts.interpolation ? { interpolation: opts.interpolation } : {}),
  };
  return (x, rng) => {
    const r = rng ?? defaultRng();
    const { h, w } = imageDims(op, x);
    if (r.next() >= p) return x;
    const angle = r.uniform(degrees[0], degrees[1]);
    let dx = 0;
    let dy = 0;
    if (translate) {
      dx = Math.round(r.uniform(-translate[0] * w, translate[0] * w));
      dy = Math.round(r.uniform(-translate[1] * h, translate[1] * h));
    }
    const zoom = scale ? r.uniform(scale[0], scale[1]) : 1;
    const sx = shearX ? r.uniform(shearX[0], shearX[1]) : 0;
    const sy = shearY ? r.uniform(shearY[0], shearY[1]) : 0;
    return warpAffine(
      x,
      affineMatrix(h, w, { angle, translate: [dx, dy], scale: zoom, shear: [sx, sy] }),
      warp,
    );
  };
}

/** Random rotation by an angle drawn uniformly from `degrees` (torchvision `RandomRotation`). */
export function randomRotation(
  degrees: number | readonly [number, number],
  opts: WarpOptions & { p?: number } = {},
): Transform {
  return randomAffine({ ...opts, degrees });
}

/** Random shift by up to `fraction` of the width and height (a translation-only `randomAffine`). */
export function randomTranslation(
  fraction: readonly [number, number],
  opts: WarpOptions & { p?: number } = {},
): Transform {
  return randomAffine({ ...opts, translate: fraction });
}
