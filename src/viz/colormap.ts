import { ShapeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** The colour maps {@link colormap} knows. */
export type ColormapName = 'viridis' | 'turbo' | 'jet' | 'grey';

/** Matplotlib's viridis at 10 evenly spaced points (as R's viridis(10) lists them), interpolated linearly. */
const VIRIDIS = [
  0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725,
];

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** The colour of value v in [0, 1] (clamped) as [r, g, b] in [0, 1]. */
export function colorAt(name: ColormapName, v: number): [number, number, number] {
  const x = clamp01(Number.isFinite(v) ? v : 0);
  switch (name) {
    case 'grey':
      return [x, x, x];
    case 'jet':
      return [
        clamp01(1.5 - Math.abs(4 * x - 3)),
        clamp01(1.5 - Math.abs(4 * x - 2)),
        clamp01(1.5 - Math.abs(4 * x - 1)),
      ];
    case 'turbo':
      // Google's polynomial approximation of Turbo (Mikhailov 2019).
      return [
        clamp01(
          0.13572138 +
            x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943)))),
        ),
        clamp01(
          0.09140261 +
            x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604)))),
        ),
        clamp01(
          0.1066733 +
            x *
              (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973)))),
        ),
      ];
    case 'viridis': {
      const pos = x * (VIRIDIS.length - 1);
      const i = Math.min(Math.floor(pos), VIRIDIS.length - 2);
      const f = pos - i;
      const a = VIRIDIS[i]!;
      const b = VIRIDIS[i + 1]!;
      const ch = (c: number, s: number) => ((c >> s) & 255) / 255;
      return [16, 8, 0].map((s) => ch(a, s) * (1 - f) + ch(b, s) * f) as [number, number, number];
    }
    default:
      throw new ValueError(
        'colormap',
        `unknown colour map ${JSON.stringify(name)}; expected one of viridis, turbo, jet, grey`,
      );
  }
}

/**
 * Map one-channel values in [0, 1] to colours: [N, 1, H, W] -> [N, 3, H, W] or [1, H, W] ->
 * [3, H, W], values in [0, 1]. Values outside [0, 1] are clamped; scale a map first (Grad-CAM
 * maps already are, saliency maps can be divided by their maximum).
 */
export function colormap(x: Tensor, name: ColormapName = 'viridis'): Tensor {
  const cAxis = x.ndim - 3;
  if ((x.ndim !== 3 && x.ndim !== 4) || x.shape[cAxis] !== 1) {
    throw new ShapeError(
      'colormap',
      'the input must be one-channel maps',
      '[N, 1, H, W] or [1, H, W]',
      x.shape,
    );
  }
  const n = x.ndim === 4 ? x.shape[0]! : 1;
  const hw = x.size / n;
  const out = new Float32Array(n * 3 * hw);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < hw; p++) {
      const [r, g, b] = colorAt(name, x.data[i * hw + p]!);
      out[(i * 3 + 0) * hw + p] = r;
      out[(i * 3 + 1) * hw + p] = g;
      out[(i * 3 + 2) * hw + p] = b;
    }
  const shape = [...x.shape];
  shape[cAxis] = 3;
  return new Tensor(out, shape);
}
