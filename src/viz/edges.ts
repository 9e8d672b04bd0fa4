import { ShapeError } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { conv2d } from '../ops/conv2d.js';
import { Tensor } from '../tensor/tensor.js';

/** The directions of {@link EDGE_KERNELS}, in degrees. */
export const EDGE_ANGLES = [0, 45, 90, 135, 180, 225, 270, 315] as const;

/**
 * The decks' 3x3 edge filters (deck 000, "Edge Detection": every edge from 0 to 315 degrees in
 * 45-degree steps, dark side on the left and bright side on the right when walking along the edge
 * in that direction). 0 and 180 respond to horizontal edges, 90 and 270 to vertical ones, the
 * rest to the diagonals; each is the negative of the one 180 degrees away.
 */
export const EDGE_KERNELS: Readonly<Record<(typeof EDGE_ANGLES)[number], readonly (readonly number[])[]>> =
  (() => {
    const base = {
      0: [
        [-1, -1, -1],
        [0, 0, 0],
        [1, 1, 1],
      ],
      45: [
        [-1, -1, 0],
        [-1, 0, 1],
        [0, 1, 1],
      ],
      90: [
        [-1, 0, 1],
        [-1, 0, 1],
        [-1, 0, 1],
      ],
      135: [
        [0, 1, 1],
        [-1, 0, 1],
        [-1, -1, 0],
      ],
    };
    const neg = (k: number[][]) => k.map((r) => r.map((v) => (v === 0 ? 0 : -v)));
    return { ...base, 180: neg(base[0]), 225: neg(base[45]), 270: neg(base[90]), 315: neg(base[135]) };
  })();

/** What {@link edges} returns. */
export interface EdgeMaps {
  /** The filters' directions in degrees, in the order of the channels of `maps`. */
  angles: readonly number[];
  /** One response map per direction, [N, 8, H, W] (zero padding keeps the input size). */
  maps: Tensor;
  /** The strongest response over the 8 directions at each pixel, [N, 1, H, W] (never negative). */
  magnitude: Tensor;
}

/**
 * The decks' 8 edge filters applied to images [N, C, H, W] (or one image [C, H, W]) with C = 1
 * or 3. As in the deck, brightness is averaged across RGB: each colour channel carries the
 * kernel / 3. One 3x3 convolution with padding 1.
 */
export function edges(image: Tensor): EdgeMaps {
  const x = image.ndim === 3 ? image.unsqueeze(0) : image;
  if (x.ndim !== 4 || (x.shape[1] !== 1 && x.shape[1] !== 3)) {
    throw new ShapeError(
      'edges',
      'the input must be images with 1 or 3 channels',
      '[N, 1|3, H, W] or [1|3, H, W]',
      image.shape,
    );
  }
  const c = x.shape[1]!;
  const w =
    x.dtype === 'float64'
      ? new Float64Array(EDGE_ANGLES.length * c * 9)
      : new Float32Array(EDGE_ANGLES.length * c * 9);
  EDGE_ANGLES.forEach((angle, o) => {
    const k = EDGE_KERNELS[angle];
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < 9; i++) w[(o * c + ch) * 9 + i] = k[Math.floor(i / 3)]![i % 3]! / c;
  });
  const maps = noGrad(() =>
    conv2d(x.detach(), new Tensor(w, [EDGE_ANGLES.length, c, 3, 3]), null, { padding: 1 }),
  );
  return { angles: EDGE_ANGLES, maps, magnitude: noGrad(() => maps.max(1, true)) };
}
