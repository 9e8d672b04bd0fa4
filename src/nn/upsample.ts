import { ValueError } from '../errors.js';
import { upsample, type UpsampleOptions } from '../ops/upsample.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Resize feature maps [N, C, H, W] by a scale factor or to a size, like `torch.nn.Upsample`:
 * `new Upsample({ scaleFactor: 2 })` (nearest, the default) or
 * `new Upsample({ size: [28, 28], mode: 'bilinear' })`. No parameters.
 */
export class Upsample extends Module {
  /** The resize options, as given. */
  readonly options: Readonly<UpsampleOptions>;

  constructor(opts: UpsampleOptions) {
    super();
    if ((opts.size === undefined) === (opts.scaleFactor === undefined)) {
      throw new ValueError(
        'Upsample',
        'give exactly one of size and scaleFactor. Fix: new Upsample({ scaleFactor: 2 }) or new Upsample({ size: [h, w] })',
      );
    }
    this.options = { ...opts };
  }

  /** The resized maps. */
  forward(x: Tensor): Tensor {
    return upsample(x, this.options);
  }

  override extraRepr(): string {
    const o = this.options;
    const show = (v: number | readonly number[]) => (typeof v === 'number' ? String(v) : `[${v.join(', ')}]`);
    const parts: string[] = [];
    if (o.size !== undefined) parts.push(`size=${show(o.size)}`);
    if (o.scaleFactor !== undefined) parts.push(`scaleFactor=${show(o.scaleFactor)}`);
    parts.push(`mode=${o.mode ?? 'nearest'}`);
    if (o.alignCorners) parts.push('alignCorners=true');
    if (o.asymmetric) parts.push('asymmetric=true');
    return parts.join(', ');
  }
}
