import { basename, extname, join, dirname } from 'node:path';
import * as st from '../../node.js';
import { formatOptions, parseArgs, UsageError, type OptionSpec } from '../args.js';
import { modelFromArg, parseShape } from './model-source.js';

const METHODS = ['filters', 'activations', 'saliency', 'gradcam', 'maximize', 'dream', 'edges'] as const;
type Method = (typeof METHODS)[number];

const specs = {
  out: { type: 'string', help: 'PNG file to write (required)' },
  layer: { type: 'string', help: 'dotted layer name (activations and dream: a comma-separated list)' },
  channel: { type: 'int', help: 'maximize: the channel of --layer to maximize', default: 0 },
  target: { type: 'int', help: 'saliency/gradcam: the class to explain (default: the predicted one)' },
  input: { type: 'string', help: "the model's input shape CxHxW (default: what the model declares)" },
  scale: {
    type: 'number',
    help: "factor on 0..255 pixel values (default: the model card's preprocessing, else 1/255)",
  },
  mean: {
    type: 'string',
    help: "per-channel mean subtracted after --scale, comma-separated (default: the model card's)",
  },
  std: {
    type: 'string',
    help: "per-channel std divided by after --mean, comma-separated (default: the model card's)",
  },
  smooth: { type: 'int', help: 'saliency: SmoothGrad over this many noisy copies (default: plain gradient)' },
  plusplus: { type: 'boolean', help: 'gradcam: use Grad-CAM++ weights' },
  steps: { type: 'int', help: 'maximize/dream: gradient-ascent steps (per octave for dream)' },
  lr: { type: 'number', help: 'maximize/dream: step size' },
  octaves: { type: 'int', help: 'dream: image scales', default: st.viz.DEEP_DREAM_DEFAULTS.octaves },
  seed: { type: 'int', help: 'maximize: seed of the start image and jitter', default: 0 },
  enlarge: {
    type: 'int',
    help: 'enlarge the PNG by this factor (default: chosen so small images are visible)',
  },
} satisfies Record<string, OptionSpec>;

/** Help of `stride viz`. */
export const vizHelp = `stride viz <method> <model> [image] --out file.png [options]
stride viz edges <image> --out file.png

Pictures of what a network computes. <model> is a zoo name, a saved Stride model, an ONNX file
or a TF.js model.json; [image] a JPEG/PNG file, resized to the model's input size.

  filters      the kernels of convolution --layer as a tiled grid
  activations  the feature maps of --layer (comma-separated for several) for the image
  saliency     |d score / d pixel| of --target (default: predicted class), max over colours
  gradcam      Grad-CAM of --layer for --target, over the image (--plusplus: Grad-CAM++)
  maximize     an input that maximizes channel --channel of --layer (gradient ascent)
  dream        deep dream: amplify what --layer sees in the image
  edges        the decks' 8 edge filters and their combined magnitude (no model)

${formatOptions(specs)}`;

function numbers(option: string, text: string): number[] {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length === 0 || v.some((x) => !Number.isFinite(x)))
    throw new UsageError(`--${option} must be numbers separated by commas; got '${text}'`);
  return v;
}

/** The per-image input shape [C, H, W] of a model: --input, else its model card's or recorded input. */
function inputShape(p: st.ResolvedPreprocessing, option: string | undefined): [number, number, number] {
  if (option !== undefined) {
    const shape = parseShape('input', option);
    if (shape.length !== 3) throw new UsageError(`--input must be CxHxW, e.g. 3x224x224; got '${option}'`);
    return [shape[0]!, shape[1]!, shape[2]!];
  }
  if (!p.size)
    throw new UsageError("the model's input size is not known; pass --input CxHxW, e.g. --input 3x224x224");
  return [p.channels, p.size[0], p.size[1]];
}

/** Per-channel values as a [1, C, 1, 1] tensor (one value is shared by every channel). */
const perChannel = (v: readonly number[], c: number) =>
  st.tensor(v.length === 1 ? Array<number>(c).fill(v[0]!) : [...v]).reshape([1, c, 1, 1]);

/** `stride viz gradcam resnet18 cat.png --layer layer4 --out cam.png` */
export async function vizCommand(argv: readonly string[]): Promise<void> {
  const { positional, options } = parseArgs(argv, specs);
  const method = positional[0] as Method | undefined;
  if (method === undefined || !METHODS.includes(method))
    throw new UsageError(`the first argument must be one of ${METHODS.join(', ')}; got '${method ?? ''}'`);
  const out = options['out'] as string | undefined;
  if (!out) throw new UsageError('--out file.png is required');
  const layerArg = options['layer'] as string | undefined;
  const enlargeArg = options['enlarge'] as number | undefined;
  const save = async (image: st.Tensor, path: string, what: string) => {
    const side = Math.max(image.shape[image.ndim - 1]!, image.shape[image.ndim - 2]!);
    const scale = enlargeArg ?? Math.max(1, Math.floor(256 / side));
    await st.viz.savePng(image, path, { scale });
    console.log(`${path}: ${what}`);
  };

  if (method === 'edges') {
    if (positional.length !== 2) throw new UsageError('edges needs exactly one image');
    const image = (await st.readImage(positional[1]!)).unsqueeze(0);
    const { maps, magnitude } = st.viz.edges(image);
    const [, , h, w] = maps.shape as [number, number, number, number];
    // Eight directions (positive responses) and the magnitude on one scale, where the 99th
    // percentile of the magnitude is white (a few very strong edges would darken everything else).
    const sorted = Float32Array.from(magnitude.data).sort();
    const white = sorted[Math.floor(0.99 * (sorted.length - 1))]! || 1;
    const tiles = st.concat([maps.relu(), magnitude], 1).reshape([9, 1, h, w]).div(white);
    await save(
      st.viz.tileGrid(tiles, { columns: 3, normalize: 'none', padding: 2 }),
      out,
      `edge filters at ${st.viz.EDGE_ANGLES.join(', ')} degrees (rows left to right) and their magnitude (last)`,
    );
    return;
  }

  if (positional.length < 2) throw new UsageError(`${method} needs a model`);
  // A zoo name gives freshly initialized weights (random filters are still worth a look).
  const model = modelFromArg(positional[1]!, { init: true });
  const needsLayer = method !== 'saliency';
  if (needsLayer && !layerArg)
    throw new UsageError(`${method} needs --layer (stride summary <model> lists the layers)`);
  const layers = (layerArg ?? '').split(',').filter((s) => s !== '');

  if (method === 'filters') {
    await save(
      st.viz.filters(model, layers[0]!),
      out,
      `kernels of ${layers[0]}, each scaled to its own range`,
    );
    return;
  }

  // The model's own preprocessing (its card, else pixels / 255), unless the options say otherwise.
  const prep = st.resolvePreprocessing(model);
  const [c, h, w] = inputShape(prep, options['input'] as string | undefined);
  const scale = (options['scale'] as number | undefined) ?? prep.scale;
  const mean = options['mean'] !== undefined ? numbers('mean', options['mean'] as string) : prep.mean;
  const std = options['std'] !== undefined ? numbers('std', options['std'] as string) : prep.std;
  for (const [name, v] of [
    ['mean', mean],
    ['std', std],
  ] as const)
    if (v.length !== 1 && v.length !== c)
      throw new UsageError(`--${name} needs 1 or ${c} values (one per input channel); got ${v.length}`);
  const bgr = prep.colorOrder === 'bgr' && c === 3;
  const flip = (t: st.Tensor) =>
    bgr ? st.concat([t.slice(1, 2, 3), t.slice(1, 1, 2), t.slice(1, 0, 1)], 1) : t;
  // Pixels in [0, 1] to model input and back (the inverse, for pictures of optimized inputs).
  const toModel = (img01: st.Tensor): st.Tensor =>
    flip(img01)
      .mul(255 * scale)
      .sub(perChannel(mean, c))
      .div(perChannel(std, c));
  const fromModel = (x: st.Tensor): st.Tensor =>
    flip(
      x
        .mul(perChannel(std, c))
        .add(perChannel(mean, c))
        .div(255 * scale),
    ).clamp(0, 1);

  if (method === 'maximize') {
    const channel = options['channel'] as number;
    const r = st.viz.maximize(model, {
      layer: layers[0]!,
      channel,
      size: [h, w],
      channels: c,
      seed: options['seed'] as number,
      ...(options['steps'] !== undefined ? { steps: options['steps'] as number } : {}),
      ...(options['lr'] !== undefined ? { lr: options['lr'] as number } : {}),
    });
    await save(
      st.viz.tileGrid(r.image.reshape([1, c, h, w]), { padding: 0 }),
      out,
      `input maximizing channel ${channel} of ${layers[0]} (mean activation ${r.activation.start.toPrecision(3)} -> ${r.activation.end.toPrecision(3)})`,
    );
    return;
  }

  if (positional.length !== 3) throw new UsageError(`${method} needs a model and an image`);
  const image01 = (
    await st.readImage(positional[2]!, { channels: c === 1 ? 1 : 3, size: [h, w], fit: prep.fit })
  ).unsqueeze(0);
  const x = toModel(image01);

  if (method === 'activations') {
    const acts = st.viz.activations(model, x, layers);
    for (const name of layers) {
      const path =
        layers.length === 1 ? out : join(dirname(out), `${basename(out, extname(out))}.${name}.png`);
      await save(acts[name]!.grid, path, `feature maps of ${name} ${JSON.stringify(acts[name]!.maps.shape)}`);
    }
    return;
  }
  const target = options['target'] as number | undefined;
  const logits = st.noGrad(() => model.eval().forward(x));
  const predicted = logits.ndim === 2 ? st.argmax(logits, 1).data[0]! : null;
  const which = target !== undefined ? `class ${target}` : `the predicted class ${predicted}`;

  if (method === 'saliency') {
    const smooth = options['smooth'] as number | undefined;
    const map = st.viz.saliency(model, x, {
      ...(target !== undefined ? { target } : {}),
      ...(smooth !== undefined ? { smooth: { samples: smooth } } : {}),
    });
    const unit = st.viz.scaleEachToUnit(map);
    await save(
      st.viz.tileGrid(st.concat([image01.mean(1, true), unit], 0), {
        columns: 2,
        normalize: 'none',
        padding: 2,
      }),
      out,
      `the image and its saliency for ${which}${smooth ? ` (SmoothGrad, ${smooth} samples)` : ''}`,
    );
    return;
  }
  if (method === 'gradcam') {
    const fn = options['plusplus'] ? st.viz.gradCamPlusPlus : st.viz.gradCam;
    const cam = fn(model, x, { layer: layers[0]!, ...(target !== undefined ? { target } : {}) });
    await save(
      st.viz.overlayHeatmap(image01, cam).reshape([3, h, w]),
      out,
      `${options['plusplus'] ? 'Grad-CAM++' : 'Grad-CAM'} of ${layers[0]} for ${which}, over the image`,
    );
    return;
  }
  // dream
  const dream = st.viz.deepDream(model, x, {
    layers,
    octaves: options['octaves'] as number,
    ...(options['steps'] !== undefined ? { steps: options['steps'] as number } : {}),
    ...(options['lr'] !== undefined ? { lr: options['lr'] as number } : {}),
  });
  await save(fromModel(dream).reshape([c, h, w]), out, `deep dream of ${layers.join(', ')}`);
}
