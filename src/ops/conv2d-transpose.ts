import { record } from '../autograd/grad-fn.js';
import { kernels } from '../backend/registry.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { checkConvTensors, resolveConv2dTranspose, type Conv2dTransposeOptions } from './conv-params.js';
import { channelBiasGrad } from './conv2d.js';

/**
 * 2-D transposed convolution ("learnable upsampling", sometimes called deconvolution), like
 * PyTorch's `F.conv_transpose2d`: every input pixel scatters a copy of the kernel, scaled by its
 * value, into the output at stride spacing, overlapping copies add up. It is the gradient of
 * `conv2d` with respect to its input, and is computed with that kernel.
 *
 * @param x input [N, C, H, W], or one image [C, H, W] (the result is then unbatched).
 * @param weight PyTorch's layout [C, O / groups, kH, kW].
 * @param bias [O], or null/undefined for none.
 * @param opts stride, padding (number or [h, w]: cropped from each side of the output),
 *   outputPadding (extra bottom/right rows/columns, < stride or < dilation), dilation and groups.
 * @returns [N, O, outH, outW] with outH = (H - 1) * stride - 2 * padding + dilation * (kH - 1) +
 *   outputPadding + 1; differentiable with respect to x, weight and bias.
 */
export function conv2dTranspose(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  opts: Conv2dTransposeOptions = {},
): Tensor {
  const op = 'conv2dTranspose';
  // p describes the forward convolution that maps our output (its input) back to x (its output).
  const { params: p, outShape } = resolveConv2dTranspose(op, x.shape, weight.shape, opts);
  const b = bias ?? null;
  checkConvTensors(op, x, weight, b, p.inChannels);
  const y = empty(outShape, x.dtype);
  kernels().conv2dBackwardData(p, x.data, weight.data, y.data);
  const plane = p.inH * p.inW;
  if (b) {
    const yd = y.data;
    for (let n = 0; n < p.batch; n++) {
      for (let c = 0; c < p.inChannels; c++) {
        const bv = b.data[c]!;
        const off = (n * p.inChannels + c) * plane;
        for (let i = 0; i < plane; i++) yd[off + i]! += bv;
      }
    }
  }
  return record(op, b ? [x, weight, b] : [x, weight], y, (g, needs) => {
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    if (needs[0]) {
      dx = empty(x.shape, x.dtype);
      kernels().conv2dForward(p, g.data, weight.data, null, dx.data);
    }
    if (needs[1]) {
      dw = empty(weight.shape, weight.dtype);
      kernels().conv2dBackwardFilter(p, g.data, x.data, dw.data);
    }
    if (!b) return [dx, dw];
    return [dx, dw, needs[2] ? channelBiasGrad(g, p.batch, p.inChannels, plane) : null];
  });
}
