import { ValueError } from '../errors.js';
import { ReLU } from '../nn/activation-layers.js';
import { Conv2d, Conv2dTranspose } from '../nn/conv.js';
import { Graph } from '../nn/graph.js';
import { checkInt } from '../nn/layer-args.js';
import { Concat } from '../nn/merge.js';
import type { Module } from '../nn/module.js';
import { BatchNorm2d } from '../nn/normalization.js';
import { MaxPool2d } from '../nn/pooling.js';
import { Sequential } from '../nn/sequential.js';
import { Upsample } from '../nn/upsample.js';
import { buildZooModel, initWeights, resolveZooOptions, type ZooOptions } from './zoo-options.js';

/** Options of {@link unet}. */
export interface UNetOptions extends ZooOptions {
  /** Downsampling steps (default 4, as in the paper); inputs must divide by 2^depth. */
  depth?: number;
  /** Channels of the first level, doubled at every step down (default 64, as in the paper). */
  baseChannels?: number;
  /**
   * How the decoder doubles the resolution: `'transpose'` (default, the paper's 2x2 "up-convolution",
   * a transposed convolution halving the channels) or `'bilinear'` (bilinear upsampling then a 1x1
   * convolution halving the channels: no checkerboard artifacts).
   */
  upsample?: 'transpose' | 'bilinear';
  /** Batch norm after every 3x3 convolution (default true; the paper predates batch norm). */
  batchNorm?: boolean;
}

/** Two 3x3 convolutions (padding 1, so the size is kept), each with batch norm and ReLU. */
function doubleConv(inC: number, outC: number, batchNorm: boolean): Sequential {
  const layers: Module[] = [];
  for (const [a, b] of [
    [inC, outC],
    [outC, outC],
  ] as const) {
    layers.push(new Conv2d(a, b, 3, { padding: 1, bias: !batchNorm }));
    if (batchNorm) layers.push(new BatchNorm2d(b));
    layers.push(new ReLU());
  }
  return new Sequential(...layers);
}

/**
 * U-Net (Ronneberger et al. 2015) as a {@link Graph}: a contracting path (`inc`, then
 * `down1`..`downD`: 2x2 max pooling and two 3x3 convolutions doubling the channels) and an
 * expanding path (`upI_upsample` doubling the resolution and halving the channels, `upI_concat`
 * joining the encoder's features of the same size (the skip connection), `upI`: two 3x3
 * convolutions), then `outc`, a 1x1 convolution to the class scores. Unlike the paper the
 * convolutions are padded, so the output has the input's size; H and W must divide by 2^depth (the
 * skip concatenation reports the mismatch otherwise). A plain Graph, so `st.save` stores it.
 */
export function buildUNet(
  inChannels: number,
  numClasses: number,
  depth: number,
  base: number,
  mode: 'transpose' | 'bilinear',
  batchNorm: boolean,
): Graph {
  const g = new Graph();
  const x = g.input();
  const skips = [g.add('inc', doubleConv(inChannels, base, batchNorm), x)];
  for (let i = 1; i <= depth; i++) {
    const c = base * 2 ** i;
    const down = new Sequential({ pool: new MaxPool2d(2), conv: doubleConv(c / 2, c, batchNorm) });
    skips.push(g.add(`down${i}`, down, skips[i - 1]!));
  }
  let h = skips[depth]!;
  for (let i = 1; i <= depth; i++) {
    const c = base * 2 ** (depth - i); // channels after this step
    const up =
      mode === 'transpose'
        ? new Conv2dTranspose(2 * c, c, 2, { stride: 2 })
        : new Sequential(new Upsample({ scaleFactor: 2, mode: 'bilinear' }), new Conv2d(2 * c, c, 1));
    h = g.add(`up${i}_upsample`, up, h);
    h = g.add(`up${i}_concat`, new Concat(1), skips[depth - i]!, h);
    h = g.add(`up${i}`, doubleConv(2 * c, c, batchNorm), h);
  }
  return g.output(g.add('outc', new Conv2d(base, numClasses, 1), h));
}

/**
 * A configurable U-Net (see {@link buildUNet}); default 1 input channel, 2 classes, depth 4, 64 base
 * channels (31,037,698 parameters with batch norm, as in common PyTorch re-implementations),
 * transposed-convolution upsampling. He-normal initialization.
 */
export function unet(opts: UNetOptions = {}): Graph {
  const o = resolveZooOptions('unet', opts, { numClasses: 2, inChannels: 1 }, [
    'depth',
    'baseChannels',
    'upsample',
    'batchNorm',
  ]);
  const depth = checkInt('unet', 'depth', opts.depth ?? 4);
  const base = checkInt('unet', 'baseChannels', opts.baseChannels ?? 64);
  const mode = opts.upsample ?? 'transpose';
  if (mode !== 'transpose' && mode !== 'bilinear') {
    throw new ValueError('unet', `upsample must be 'transpose' or 'bilinear', got ${JSON.stringify(mode)}`);
  }
  return buildZooModel(
    o,
    [o.inChannels, 2 ** depth * 8, 2 ** depth * 8],
    () => buildUNet(o.inChannels, o.numClasses, depth, base, mode, opts.batchNorm ?? true),
    (m) =>
      initWeights(m, {
        conv: 'kaimingNormalFanOut',
        convBias: 'zeros',
        linear: 'default',
        linearBias: 'default',
      }),
  );
}
