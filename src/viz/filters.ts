import { ShapeError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { Conv2d } from '../nn/conv.js';
import { Tensor } from '../tensor/tensor.js';
import { findLayer } from './find-layer.js';
import { tileGrid, type TileGridOptions } from './tile-grid.js';

/**
 * A convolution layer's kernels as one image [C, H, W] in [0, 1]: with 3 input channels
 * (the first layer of a colour network) each filter is one RGB tile; otherwise each filter is a
 * row of greyscale tiles, one per input channel (a single row-wrapped grid when filters have one
 * channel). Each filter is min-max scaled on its own, so weak and strong filters are both visible.
 */
export function filters(
  model: Module,
  layerName: string,
  opts: Pick<TileGridOptions, 'padding' | 'columns'> = {},
): Tensor {
  const layer = findLayer('filters', model, layerName);
  const weight = (layer as { weight?: unknown }).weight;
  if (!(layer instanceof Conv2d) && !(weight instanceof Tensor && weight.ndim === 4)) {
    throw new ShapeError(
      'filters',
      `layer '${layerName}' (${layer.constructor.name}) has no convolution kernels`,
      'a Conv2d layer with weight [O, I, kH, kW]',
      weight instanceof Tensor ? weight.shape : 'no weight',
      'pick a convolution layer; stride summary <model> lists the layers',
    );
  }
  const w = (weight as Tensor).detach();
  const [o, i, kh, kw] = w.shape as [number, number, number, number];
  if (i === 3) return tileGrid(w, { ...opts, normalize: 'group', groupSize: 1 });
  const tiles = w.reshape([o * i, 1, kh, kw]);
  return tileGrid(tiles, {
    columns: i === 1 ? Math.ceil(Math.sqrt(o)) : i,
    ...opts,
    normalize: 'group',
    groupSize: i,
  });
}
