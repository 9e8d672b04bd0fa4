// Shared by the face-api architectures: Stride layers filled from TF.js weight maps (kernels in
// TensorFlow's [kh, kw, in, out] / depthwise [kh, kw, in, 1] layout, 'same' padding as TF pads).
import { ModelFileError } from '../io/model-file-error.js';
import { findWeight } from '../io/tfjs/tfjs-weights.js';
import { Conv2d } from '../nn/conv.js';
import { permute } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';

/** A weight lookup that names the missing weight and what to load. */
export function weightGetter(
  weights: ReadonlyMap<string, Tensor>,
  file: string | undefined,
  manifest: string,
): (name: string) => Tensor {
  return (name) =>
    findWeight(weights, name) ??
    ((): never => {
      throw new ModelFileError(
        'importTfjs',
        file,
        `the weights lack '${name}'`,
        `load ${manifest} with its shard`,
      );
    })();
}

/** A convolution from a TF kernel [kh, kw, in, out] (and optional bias), TF 'same'/'valid' padding. */
export function tfConv(
  kernel: Tensor,
  bias: Tensor | null,
  stride: number,
  padding: 'same' | 'valid' = 'same',
): Conv2d {
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const conv = new Conv2d(cin, cout, [kh, kw], { stride, padding, bias: bias !== null });
  conv.weight.data.set(permute(kernel, [3, 2, 0, 1]).clone().data);
  if (bias !== null) conv.bias!.data.set(bias.data);
  return conv;
}

/** A depthwise convolution from a TF depthwise kernel [kh, kw, C, 1], no bias. */
export function tfDepthwiseConv(kernel: Tensor, stride: number): Conv2d {
  const [kh, kw, c] = kernel.shape as [number, number, number, number];
  const conv = new Conv2d(c, c, [kh, kw], { stride, padding: 'same', groups: c, bias: false });
  conv.weight.data.set(permute(kernel, [2, 3, 0, 1]).clone().data);
  return conv;
}
