import { ShapeError, ValueError } from '../errors.js';
import { div } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { reshape, transpose } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of {@link gramMatrix}. */
export interface GramMatrixOptions {
  /** Divide by C·H·W (default true; see {@link gramMatrix}). */
  normalize?: boolean;
}

/**
 * The Gram matrices of a batch of feature maps, `[N, C, H, W] -> [N, C, C]`: entry (i, j) of image
 * n is the inner product of channels i and j over all positions, `G_ij = Σ_k F_ik·F_jk` with F
 * the image's features reshaped to [C, H·W].
 *
 * Normalization (default): G is divided by `C·H·W` (= N_l·M_l in Gatys et al. 2016, with N_l
 * filters of M_l positions each). Gatys' style loss of a layer, `E_l = Σ(G − A)² / (4·N_l²·M_l²)`
 * on raw Grams, is then exactly `¼·Σ(Ĝ − Â)²` on normalized ones (what {@link styleLoss}
 * computes), and layers of different sizes contribute on a comparable scale. This is also the
 * normalization of PyTorch's neural-style tutorial (`G.div(a·b·c·d)` with a batch of one).
 * `normalize: false` gives the raw Gram.
 *
 * @example st.gramMatrix(st.randn([2, 64, 32, 32])).shape // [2, 64, 64]
 */
export function gramMatrix(features: Tensor, options: GramMatrixOptions = {}): Tensor {
  if (features.ndim !== 4) {
    throw new ShapeError(
      'gramMatrix',
      'expects a batch of feature maps',
      '[N, C, H, W]',
      features.shape,
      'pass the activations of a convolutional layer; add a batch dimension with unsqueeze(x, 0)',
    );
  }
  const normalize = options.normalize ?? true;
  if (typeof normalize !== 'boolean') {
    throw new ValueError('gramMatrix', `normalize must be a boolean, got ${typeof normalize}`);
  }
  const [n, c, h, w] = features.shape as [number, number, number, number];
  const f = reshape(features, [n, c, h * w]);
  const g = matmul(f, transpose(f, 1, 2));
  return normalize ? div(g, c * h * w) : g;
}
