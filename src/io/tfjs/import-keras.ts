import {
  Add,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Concat,
  Conv2d,
  Conv2dTranspose,
  Dropout,
  ELU,
  GlobalAvgPool2d,
  GlobalMaxPool2d,
  Graph,
  Hardtanh,
  Identity,
  LeakyReLU,
  Linear,
  MaxPool2d,
  ReLU,
  ReLU6,
  Softmax,
  Upsample,
  ZeroPad2d,
  type GraphNode,
} from '../../nn/index.js';
import type { Module } from '../../nn/module.js';
import { permute } from '../../ops/shape-ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json-value.js';
import { ModelFileError } from '../model-file-error.js';
import { GraphOp } from '../graph-op.js';
import { ChannelsLastReshape } from '../channels-last-reshape.js';
import { kerasActivation } from './keras-activations.js';
import { findWeight } from './tfjs-weights.js';

interface Value {
  node: GraphNode;
  /** Rank including the batch dimension; feature maps (4) are NCHW inside Stride. */
  rank: number;
}

function refuse(
  file: string | undefined,
  problem: string,
  fix = 'convert the model with layers Stride supports',
): never {
  throw new ModelFileError('importTfjs', file, problem, fix);
}

/** Channels-last axis of a rank-`rank` tensor to Stride's channels-first axis. */
function toChannelsFirst(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (rank !== 4) return a;
  return [0, 2, 3, 1][a]!;
}

function pairOf(v: JsonValue | undefined, def: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number'))
    return [v[0] as number, v[1] as number];
  return [def, def];
}

/** [kh, kw, in, out] (TensorFlow) -> [out, in, kh, kw] (Stride/PyTorch). */
function convKernel(k: Tensor): Tensor {
  return permute(k, [3, 2, 0, 1]).clone();
}

/** [kh, kw, in, mult] -> [in·mult, 1, kh, kw]: output channel c·mult + m reads input channel c. */
function depthwiseKernel(k: Tensor): Tensor {
  const [kh, kw, cin, mult] = k.shape as [number, number, number, number];
  return permute(k, [2, 3, 0, 1])
    .clone()
    .reshape([cin * mult, 1, kh, kw]);
}

function setWeight(target: Tensor, value: Tensor, what: string, file?: string): void {
  if (target.size !== value.size)
    refuse(
      file,
      `${what} has ${value.size} values, expected ${target.size} (shape [${target.shape.join(', ')}])`,
    );
  target.data.set(value.data);
}

/** The Keras 2 and Keras 3 forms of a layer's inputs: the names of the layers it reads. */
function inboundNames(layer: JsonObject, file?: string): string[] {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1)
    refuse(
      file,
      `layer '${String(layer.name)}' is called ${nodes.length} times (shared layers are not supported)`,
    );
  const first = nodes[0];
  if (Array.isArray(first)) {
    return first.map((entry) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string')
        refuse(file, `layer '${String(layer.name)}' has malformed inbound nodes`);
      return entry[0];
    });
  }
  if (isJsonObject(first) && Array.isArray(first.args)) {
    const names: string[] = [];
    const visit = (v: JsonValue): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (isJsonObject(v)) {
        const hist = isJsonObject(v.config) ? v.config.keras_history : undefined;
        if (Array.isArray(hist) && typeof hist[0] === 'string') names.push(hist[0]);
        else Object.values(v).forEach(visit);
      }
    };
    visit(first.args);
    return names;
  }
  return refuse(file, `layer '${String(layer.name)}' has malformed inbound nodes`);
}

interface KerasModelConfig {
  layers: JsonObject[];
  inputs: string[];
  outputs: string[];
  sequential: boolean;
}

function modelConfig(topology: unknown, file?: string): KerasModelConfig {
  const top =
    isJsonObject(topology) && isJsonObject(topology.model_config) ? topology.model_config : topology;
  if (!isJsonObject(top) || typeof top.class_name !== 'string')
    refuse(
      file,
      'modelTopology has no model_config with a class_name',
      'pass the modelTopology of a TF.js layers model',
    );
  const cfg = top.config;
  const layers = Array.isArray(cfg)
    ? cfg
    : isJsonObject(cfg) && Array.isArray(cfg.layers)
      ? cfg.layers
      : null;
  if (!layers || !layers.every(isJsonObject)) refuse(file, 'the model config has no list of layers');
  if (top.class_name === 'Sequential')
    return { layers: layers as JsonObject[], inputs: [], outputs: [], sequential: true };
  const names = (v: JsonValue | undefined): string[] =>
    Array.isArray(v)
      ? v.map((e) =>
          Array.isArray(e) && typeof e[0] === 'string'
            ? e[0]
            : refuse(file, 'malformed input_layers/output_layers'),
        )
      : [];
  const c = cfg as JsonObject;
  return {
    layers: layers as JsonObject[],
    inputs: names(c.input_layers),
    outputs: names(c.output_layers),
    sequential: false,
  };
}

/**
 * Import a Keras model saved as a TF.js layers model (`model.json`'s `modelTopology` with the
 * decoded weights) as a Stride {@link Graph} working on channels-first images [N, C, H, W]:
 * convolution kernels are transposed from [kh, kw, in, out] to [out, in, kh, kw], depthwise kernels
 * become grouped convolutions, dense kernels are transposed, batch norms keep their moving
 * statistics, and flatten/reshape keep Keras' channels-last element order so the following dense
 * weights still apply. Layers get their Keras names. The model is returned in evaluation mode.
 */
export function importKerasModel(
  topology: unknown,
  weights: ReadonlyMap<string, Tensor>,
  opts: { file?: string } = {},
): Graph {
  const file = opts.file;
  const { layers, inputs, outputs, sequential } = modelConfig(topology, file);
  const g = new Graph();
  const values = new Map<string, Value>();
  const weight = (layer: string, name: string): Tensor =>
    findWeight(weights, `${layer}/${name}`) ??
    refuse(file, `the weights lack '${layer}/${name}'`, 'load the weight shards that belong to this model');
  const optionalWeight = (layer: string, name: string): Tensor | undefined =>
    findWeight(weights, `${layer}/${name}`);
  let previous: Value | null = null;

  for (const layer of layers) {
    const cls = layer.class_name;
    const cfg = isJsonObject(layer.config) ? layer.config : {};
    const name = String(cfg.name ?? layer.name ?? `layer_${values.size}`).replace(/[.]/g, '_');
    if (typeof cls !== 'string') refuse(file, `layer '${name}' has no class_name`);
    if (cfg.data_format !== undefined && cfg.data_format !== 'channels_last')
      refuse(file, `layer '${name}' uses data_format ${String(cfg.data_format)}`);

    const batchShape = (cfg.batch_input_shape ?? cfg.batch_shape) as JsonValue | undefined;
    if (cls === 'InputLayer' || (sequential && previous === null)) {
      if (!Array.isArray(batchShape) || batchShape.length < 2)
        refuse(file, `input '${name}' has no batch_input_shape`);
      const dims = batchShape.slice(1).map((d) => (typeof d === 'number' ? d : -1));
      const perSample = dims.length === 3 ? [dims[2]!, dims[0]!, dims[1]!] : dims;
      const node = g.input(
        perSample.every((d) => d > 0) ? perSample : undefined,
        cls === 'InputLayer' ? name : `${name}_input`,
      );
      previous = { node, rank: dims.length + 1 };
      if (cls === 'InputLayer') {
        values.set(name, previous);
        continue;
      }
    }
    const ins: Value[] = sequential
      ? [previous!]
      : inboundNames(layer, file).map(
          (n) =>
            values.get(n) ??
            refuse(file, `layer '${name}' reads '${n}', which comes later or does not exist`),
        );
    if (ins.length === 0) refuse(file, `layer '${name}' has no inputs`);
    const x = ins[0]!;
    const add = (nodeName: string, m: Module, args: Value[], rank: number): Value => ({
      node: g.add(nodeName, m, ...args.map((v) => v.node)),
      rank,
    });
    const withActivation = (v: Value): Value => {
      const act = typeof cfg.activation === 'string' ? kerasActivation(cfg.activation) : null;
      if (act === undefined) refuse(file, `layer '${name}' uses the activation '${String(cfg.activation)}'`);
      return act ? add(`${name}_activation`, act, [v], v.rank) : v;
    };
    const padding = cfg.padding === 'same' ? 'same' : 'valid';
    let out: Value;
    switch (cls) {
      case 'Conv2D': {
        const k = convKernel(weight(name, 'kernel'));
        const groups = typeof cfg.groups === 'number' ? cfg.groups : 1;
        const conv = new Conv2d(k.shape[1]! * groups, k.shape[0]!, [k.shape[2]!, k.shape[3]!], {
          stride: pairOf(cfg.strides, 1),
          padding,
          dilation: pairOf(cfg.dilation_rate, 1),
          groups,
          bias: cfg.use_bias !== false,
        });
        setWeight(conv.weight, k, `${name}/kernel`, file);
        if (conv.bias) setWeight(conv.bias, weight(name, 'bias'), `${name}/bias`, file);
        out = withActivation(add(name, conv, [x], 4));
        break;
      }
      case 'DepthwiseConv2D':
      case 'SeparableConv2D': {
        const k = depthwiseKernel(weight(name, 'depthwise_kernel'));
        const cin = k.shape[0]! / (typeof cfg.depth_multiplier === 'number' ? cfg.depth_multiplier : 1);
        const separable = cls === 'SeparableConv2D';
        const dw = new Conv2d(cin, k.shape[0]!, [k.shape[2]!, k.shape[3]!], {
          stride: pairOf(cfg.strides, 1),
          padding,
          dilation: pairOf(cfg.dilation_rate, 1),
          groups: cin,
          bias: !separable && cfg.use_bias !== false,
        });
        setWeight(dw.weight, k, `${name}/depthwise_kernel`, file);
        if (dw.bias) setWeight(dw.bias, weight(name, 'bias'), `${name}/bias`, file);
        out = add(separable ? `${name}_depthwise` : name, dw, [x], 4);
        if (separable) {
          const pk = convKernel(weight(name, 'pointwise_kernel'));
          const pw = new Conv2d(pk.shape[1]!, pk.shape[0]!, 1, { bias: cfg.use_bias !== false });
          setWeight(pw.weight, pk, `${name}/pointwise_kernel`, file);
          if (pw.bias) setWeight(pw.bias, weight(name, 'bias'), `${name}/bias`, file);
          out = add(name, pw, [out], 4);
        }
        out = withActivation(out);
        break;
      }
      case 'Conv2DTranspose': {
        const kt = weight(name, 'kernel'); // [kh, kw, out, in]
        const k = permute(kt, [3, 2, 0, 1]).clone(); // [in, out, kh, kw]
        const stride = pairOf(cfg.strides, 1);
        const [kh, kw] = [k.shape[2]!, k.shape[3]!];
        const bias = cfg.use_bias !== false ? weight(name, 'bias') : null;
        // Keras' output is (in - 1) * stride + max(k, stride) ('valid') or in * stride ('same'):
        // the full transposed convolution, output-padded up to the stride when the kernel is smaller,
        // and for 'same' cropped by k - stride (TensorFlow crops the odd one at the end).
        const extra: [number, number] = [Math.max(stride[0] - kh, 0), Math.max(stride[1] - kw, 0)];
        const total = [Math.max(kh - stride[0], 0), Math.max(kw - stride[1], 0)];
        const p: [number, number] =
          padding === 'valid' ? [0, 0] : [Math.floor(total[0]! / 2), Math.floor(total[1]! / 2)];
        const conv = new Conv2dTranspose(k.shape[0]!, k.shape[1]!, [kh, kw], {
          stride,
          padding: p,
          outputPadding: extra,
          bias: bias !== null,
        });
        setWeight(conv.weight, k, `${name}/kernel`, file);
        if (bias) setWeight(conv.bias!, bias, `${name}/bias`, file);
        out = add(name, conv, [x], 4);
        const odd = padding === 'same' ? [total[0]! % 2, total[1]! % 2] : [0, 0];
        if (odd[0] !== 0 || odd[1] !== 0)
          out = add(`${name}_crop`, new ZeroPad2d([0, -odd[1]!, 0, -odd[0]!]), [out], 4);
        out = withActivation(out);
        break;
      }
      case 'Dense': {
        if (x.rank !== 2)
          refuse(
            file,
            `Dense layer '${name}' reads a rank-${x.rank} tensor; only [N, features] is supported`,
          );
        const k = weight(name, 'kernel'); // [in, out]
        const lin = new Linear(k.shape[0]!, k.shape[1]!, { bias: cfg.use_bias !== false });
        setWeight(lin.weight, k.transpose(0, 1).clone(), `${name}/kernel`, file);
        if (lin.bias) setWeight(lin.bias, weight(name, 'bias'), `${name}/bias`, file);
        out = withActivation(add(name, lin, [x], 2));
        break;
      }
      case 'BatchNormalization': {
        const axis = Array.isArray(cfg.axis) ? cfg.axis[0] : cfg.axis;
        if (axis !== undefined && axis !== -1 && axis !== x.rank - 1)
          refuse(
            file,
            `BatchNormalization '${name}' normalizes axis ${String(axis)}; only the channels are supported`,
          );
        const mean = weight(name, 'moving_mean');
        const variance = weight(name, 'moving_variance');
        const eps = typeof cfg.epsilon === 'number' ? cfg.epsilon : 1e-3;
        const momentum = typeof cfg.momentum === 'number' ? 1 - cfg.momentum : 0.01;
        const bn =
          x.rank === 4
            ? new BatchNorm2d(mean.size, { eps, momentum })
            : new BatchNorm1d(mean.size, { eps, momentum });
        setWeight(bn.runningMean!, mean, `${name}/moving_mean`, file);
        setWeight(bn.runningVar!, variance, `${name}/moving_variance`, file);
        const gamma = cfg.scale !== false ? optionalWeight(name, 'gamma') : undefined;
        const beta = cfg.center !== false ? optionalWeight(name, 'beta') : undefined;
        if (gamma) setWeight(bn.weight!, gamma, `${name}/gamma`, file);
        if (beta) setWeight(bn.bias!, beta, `${name}/beta`, file);
        out = add(name, bn, [x], x.rank);
        break;
      }
      case 'Activation': {
        const act = kerasActivation(String(cfg.activation));
        if (act === undefined)
          refuse(file, `layer '${name}' uses the activation '${String(cfg.activation)}'`);
        out = add(name, act ?? new Identity(), [x], x.rank);
        break;
      }
      case 'ReLU': {
        const maxValue = typeof cfg.max_value === 'number' ? cfg.max_value : null;
        const slope = typeof cfg.negative_slope === 'number' ? cfg.negative_slope : 0;
        const threshold = typeof cfg.threshold === 'number' ? cfg.threshold : 0;
        if (threshold !== 0 || (slope !== 0 && maxValue !== null))
          refuse(file, `ReLU '${name}' with a threshold or a capped leaky slope is not supported`);
        const m =
          slope !== 0
            ? new LeakyReLU(slope)
            : maxValue === 6
              ? new ReLU6()
              : maxValue !== null
                ? new Hardtanh(0, maxValue)
                : new ReLU();
        out = add(name, m, [x], x.rank);
        break;
      }
      case 'LeakyReLU':
        out = add(name, new LeakyReLU(typeof cfg.alpha === 'number' ? cfg.alpha : 0.3), [x], x.rank);
        break;
      case 'ELU':
        out = add(name, new ELU(typeof cfg.alpha === 'number' ? cfg.alpha : 1), [x], x.rank);
        break;
      case 'Softmax':
        out = add(
          name,
          new Softmax(toChannelsFirst(typeof cfg.axis === 'number' ? cfg.axis : -1, x.rank)),
          [x],
          x.rank,
        );
        break;
      case 'ZeroPadding2D': {
        const p = cfg.padding;
        let tb: [number, number];
        let lr: [number, number];
        if (typeof p === 'number')
          [tb, lr] = [
            [p, p],
            [p, p],
          ];
        else if (Array.isArray(p) && p.every((v) => typeof v === 'number'))
          [tb, lr] = [
            [p[0] as number, p[0] as number],
            [p[1] as number, p[1] as number],
          ];
        else if (Array.isArray(p) && p.every((v) => Array.isArray(v)))
          [tb, lr] = [pairOf(p[0], 0), pairOf(p[1], 0)];
        else refuse(file, `ZeroPadding2D '${name}' has malformed padding`);
        out = add(name, new ZeroPad2d([lr[0], lr[1], tb[0], tb[1]]), [x], 4);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const pool = pairOf(cfg.pool_size, 2);
        const stride = cfg.strides === null || cfg.strides === undefined ? pool : pairOf(cfg.strides, 1);
        const m =
          cls === 'MaxPooling2D'
            ? new MaxPool2d(pool, { stride, padding })
            : new AvgPool2d(pool, { stride, padding, countIncludePad: false });
        out = add(name, m, [x], 4);
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const keepdim = cfg.keepdims === true;
        out = add(
          name,
          cls === 'GlobalAveragePooling2D'
            ? new GlobalAvgPool2d({ keepdim })
            : new GlobalMaxPool2d({ keepdim }),
          [x],
          keepdim ? 4 : 2,
        );
        break;
      }
      case 'Flatten':
        out =
          x.rank === 2 ? add(name, new Identity(), [x], 2) : add(name, new ChannelsLastReshape([-1]), [x], 2);
        break;
      case 'Reshape': {
        const target = cfg.target_shape;
        if (!Array.isArray(target) || !target.every((d) => typeof d === 'number'))
          refuse(file, `Reshape '${name}' has no target_shape`);
        out = add(name, new ChannelsLastReshape(target as number[]), [x], target.length + 1);
        break;
      }
      case 'Dropout':
      case 'SpatialDropout2D':
        out = add(name, new Dropout(typeof cfg.rate === 'number' ? cfg.rate : 0.5), [x], x.rank);
        break;
      case 'Add':
        out = add(name, new Add(), ins, Math.max(...ins.map((v) => v.rank)));
        break;
      case 'Concatenate':
        out = add(
          name,
          new Concat(toChannelsFirst(typeof cfg.axis === 'number' ? cfg.axis : -1, x.rank)),
          ins,
          x.rank,
        );
        break;
      case 'Multiply':
      case 'Subtract':
      case 'Maximum':
      case 'Minimum': {
        if (ins.length !== 2) refuse(file, `${cls} '${name}' merges ${ins.length} inputs; two are supported`);
        const op = { Multiply: 'mul', Subtract: 'sub', Maximum: 'maximum', Minimum: 'minimum' } as const;
        out = add(
          name,
          new GraphOp(op[cls as keyof typeof op], [0, 1]),
          ins,
          Math.max(...ins.map((v) => v.rank)),
        );
        break;
      }
      case 'UpSampling2D': {
        if (cfg.interpolation !== undefined && cfg.interpolation !== 'nearest')
          refuse(
            file,
            `UpSampling2D '${name}' uses ${String(cfg.interpolation)} interpolation; nearest is supported`,
          );
        out = add(name, new Upsample({ scaleFactor: pairOf(cfg.size, 2) }), [x], 4);
        break;
      }
      default:
        refuse(file, `layer '${name}' is a ${cls}, which Stride does not import`);
    }
    values.set(name, out);
    previous = out;
  }
  const outNames = sequential ? [] : outputs;
  const outs =
    outNames.length > 0
      ? outNames.map((n) => values.get(n) ?? refuse(file, `the output layer '${n}' does not exist`))
      : [previous!];
  if (!sequential && inputs.some((n) => !values.has(n))) refuse(file, 'an input layer is missing');
  g.output(...outs.map((v) => v.node));
  return g.eval();
}
