import {
  Add,
  AvgPool2d,
  BatchNorm2d,
  Concat,
  Conv2d,
  Conv2dTranspose,
  Graph,
  Linear,
  MaxPool2d,
  Softmax,
  Upsample,
  ZeroPad2d,
  type GraphNode,
} from '../../nn/index.js';
import type { Module } from '../../nn/module.js';
import { permute } from '../../ops/shape-ops.js';
import { Tensor } from '../../tensor/tensor.js';
import { tfActivationLayer } from '../catalog/activations.js';
import { isJsonObject, type JsonObject } from '../json-value.js';
import { ModelFileError } from '../model-file-error.js';
import { GraphOp, type GraphOpKind, type GraphOpOperand } from '../graph-op.js';
import { ChannelsLastReshape } from '../channels-last-reshape.js';

type Layout = 'nchw' | 'plain';
type Value =
  { kind: 'const'; tensor: Tensor } | { kind: 'node'; node: GraphNode; rank: number; layout: Layout };

interface TfNode {
  name: string;
  op: string;
  inputs: string[];
  attr: JsonObject;
}

function refuse(
  file: string | undefined,
  problem: string,
  fix = 'convert the model with operators Stride supports',
): never {
  throw new ModelFileError('importTfjs', file, problem, fix);
}

const base64 = (s: string): string => {
  const bin = atob(s);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
};

/** Typed access to a TensorFlow node's attributes (as the TF.js converter writes them). */
class TfAttrs {
  constructor(
    readonly node: TfNode,
    readonly file?: string,
  ) {}

  #get(name: string): JsonObject | undefined {
    const v = this.node.attr[name];
    return isJsonObject(v) ? v : undefined;
  }

  int(name: string, def: number): number {
    const v = this.#get(name);
    return v && v.i !== undefined ? Number(v.i) : def;
  }

  float(name: string, def: number): number {
    const v = this.#get(name);
    return v && typeof v.f === 'number' ? v.f : def;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.#get(name);
    return v && typeof v.b === 'boolean' ? v.b : def;
  }

  string(name: string, def: string): string {
    const v = this.#get(name);
    return v && typeof v.s === 'string' ? base64(v.s) : def;
  }

  ints(name: string): number[] {
    const v = this.#get(name);
    const list = v && isJsonObject(v.list) ? v.list.i : undefined;
    return Array.isArray(list) ? list.map((x) => Number(x)) : [];
  }

  strings(name: string): string[] {
    const v = this.#get(name);
    const list = v && isJsonObject(v.list) ? v.list.s : undefined;
    return Array.isArray(list) ? list.map((x) => base64(String(x))) : [];
  }
}

function parseNodes(topology: unknown, file?: string): TfNode[] {
  const nodes = isJsonObject(topology) ? topology.node : undefined;
  if (!Array.isArray(nodes))
    refuse(file, 'modelTopology has no node list', 'pass the modelTopology of a TF.js graph model');
  return nodes.map((n, i) => {
    if (!isJsonObject(n) || typeof n.name !== 'string' || typeof n.op !== 'string')
      refuse(file, `node ${i} has no name or op`);
    const inputs = Array.isArray(n.input)
      ? n.input.filter((s): s is string => typeof s === 'string' && !s.startsWith('^'))
      : [];
    return { name: n.name, op: n.op, inputs, attr: isJsonObject(n.attr) ? n.attr : {} };
  });
}

/** A channels-last constant in the layout of the value it combines with. */
function constFor(t: Tensor, layout: Layout): Tensor {
  if (layout !== 'nchw' || t.ndim === 0 || t.size === 1) return t;
  if (t.ndim === 1) return t.reshape([t.size, 1, 1]);
  if (t.ndim === 4) return permute(t, [0, 3, 1, 2]).clone();
  if (t.ndim === 3) return permute(t, [2, 0, 1]).clone();
  return t;
}

function toChannelsFirst(axis: number, rank: number, layout: Layout): number {
  const a = axis < 0 ? axis + rank : axis;
  return layout === 'nchw' && rank === 4 ? [0, 2, 3, 1][a]! : a;
}

function windowPadding(a: TfAttrs, op: string, file?: string): 'same' | [number, number, number, number] {
  const p = a.string('padding', 'VALID');
  if (p === 'SAME') return 'same';
  if (p === 'VALID') return [0, 0, 0, 0];
  if (p === 'EXPLICIT') {
    const e = a.ints('explicit_paddings');
    if (e.length !== 8) refuse(file, `${op} has malformed explicit_paddings`);
    return [e[2]!, e[3]!, e[4]!, e[5]!];
  }
  return refuse(file, `${op} has unknown padding ${p}`);
}

/** TensorFlow's element-wise ops as {@link GraphOp} operations. */
const TF_BINARY: Readonly<Record<string, GraphOpKind>> = {
  BiasAdd: 'add',
  Add: 'add',
  AddV2: 'add',
  Sub: 'sub',
  Mul: 'mul',
  RealDiv: 'div',
  Maximum: 'maximum',
  Minimum: 'minimum',
};

/** TensorFlow's reductions as {@link GraphOp} operations. */
const TF_REDUCE: Readonly<Record<string, GraphOpKind>> = { Mean: 'mean', Max: 'max', Sum: 'sum' };

/**
 * The nodes that `outputs` depend on (all nodes when no outputs are named), in their order: a
 * graph can then be imported up to, say, a detector's raw heads without the post-processing ops
 * that follow them.
 */
function keepAncestors(nodes: TfNode[], outputs: readonly string[] | undefined): TfNode[] {
  if (!outputs) return nodes;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const need = new Set<string>();
  const stack = outputs.map((o) => o.replace(/:0$/, ''));
  while (stack.length > 0) {
    const name = stack.pop()!.replace(/^\^/, '').replace(/:\d+$/, '');
    if (need.has(name)) continue;
    need.add(name);
    stack.push(...(byName.get(name)?.inputs ?? []));
  }
  return nodes.filter((n) => need.has(n.name));
}

/**
 * Import a TF.js graph model (`model.json` with `format: 'graph-model'`, a TensorFlow GraphDef
 * whose constants are in the weights) as a Stride {@link Graph} on channels-first images: fused
 * and plain convolutions (incl. depthwise) become Conv2d layers with their kernels transposed,
 * fused bias/batch-norm/activation become their layers, matrix products with constant weights
 * become Linear layers, and the element-wise, pooling, reduction, squeeze, reshape, concat, pad,
 * resize and softmax nodes become their Stride layers. The network input is [N, C, H, W].
 */
/** TensorFlow's op type of a graph input, the value fed to the model at run time (`tf.placeholder`). */
const TF_INPUT_OP = 'Placeholder';
/** TensorFlow's op type of a constant: a weight, read from the weight shards. */
const TF_CONSTANT_OP = 'Const';

export function importTfjsGraphModel(
  topology: unknown,
  weights: ReadonlyMap<string, Tensor>,
  opts: { file?: string; outputs?: readonly string[] } = {},
): Graph {
  const file = opts.file;
  const nodes = keepAncestors(parseNodes(topology, file), opts.outputs);
  const values = new Map<string, Value>();
  const g = new Graph();
  const opNames = nodes.filter((n) => n.op !== TF_CONSTANT_OP && n.op !== TF_INPUT_OP).map((n) => n.name);
  let prefix = opNames[0] ?? '';
  for (const n of opNames)
    while (!n.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  const used = new Set<string>();
  const layerName = (tfName: string): string => {
    const base =
      (tfName.startsWith(prefix) ? tfName.slice(prefix.length) : tfName).replace(/[/.:]/g, '_') || 'node';
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const lookup = (ref: string, user: string): Value => {
    const name = ref.replace(/:0$/, '');
    if (/:\d+$/.test(name))
      refuse(file, `node '${user}' reads output ${name}, a secondary output Stride does not compute`);
    return values.get(name) ?? refuse(file, `node '${user}' reads '${name}', which is not defined before it`);
  };
  const constOf = (v: Value, what: string): Tensor =>
    v.kind === 'const' ? v.tensor : refuse(file, `${what} must be a constant`);

  for (const n of nodes) {
    const a = new TfAttrs(n, file);
    if (n.op === TF_CONSTANT_OP) {
      const t =
        weights.get(n.name) ??
        refuse(
          file,
          `constant '${n.name}' is missing from the weights`,
          'load the weight shards that belong to this model',
        );
      values.set(n.name, { kind: 'const', tensor: t });
      continue;
    }
    if (n.op === TF_INPUT_OP) {
      const shapeAttr =
        isJsonObject(n.attr.shape) && isJsonObject(n.attr.shape.shape) ? n.attr.shape.shape.dim : undefined;
      const dims = Array.isArray(shapeAttr)
        ? shapeAttr.map((d) => (isJsonObject(d) ? Number(d.size) : -1))
        : [];
      const rank = dims.length;
      const perSample = rank === 4 ? [dims[3]!, dims[1]!, dims[2]!] : dims.slice(1);
      const node = g.input(
        perSample.length > 0 && perSample.every((d) => d > 0) ? perSample : undefined,
        n.name.replace(/[/.:]/g, '_'),
      );
      values.set(n.name, { kind: 'node', node, rank: rank || 4, layout: rank === 4 ? 'nchw' : 'plain' });
      continue;
    }
    if (n.op === 'NoOp') continue;
    const ins = n.inputs.map((ref) => lookup(ref, n.name));
    if (ins.every((v) => v.kind === 'const')) {
      if ((n.op === 'Identity' || n.op === 'StopGradient') && ins.length === 1) {
        values.set(n.name, ins[0]!);
        continue;
      }
      refuse(
        file,
        `node '${n.name}' (${n.op}) computes on constants only, which Stride does not evaluate`,
        'convert the model with constant folding (the TF.js converter does this by default)',
      );
    }
    const dyn = ins.filter((v): v is Extract<Value, { kind: 'node' }> => v.kind === 'node');
    const x = dyn[0]!;
    const name = layerName(n.name);
    const add = (
      nm: string,
      m: Module,
      args: Extract<Value, { kind: 'node' }>[],
      rank: number,
      layout: Layout,
    ): Value => ({
      kind: 'node',
      node: g.add(nm, m, ...args.map((v) => v.node)),
      rank,
      layout,
    });
    let out: Value;
    switch (n.op) {
      case 'Identity':
      case 'StopGradient':
      case 'Snapshot':
        out = x;
        break;
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        if (a.string('data_format', 'NHWC') !== 'NHWC')
          refuse(file, `node '${n.name}' uses data_format ${a.string('data_format', '')}`);
        const depthwise = n.op.includes('Depthwise');
        const k = constOf(ins[1]!, `the filter of '${n.name}'`);
        const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
        const fused = n.op.startsWith('_Fused') || n.op.startsWith('Fused') ? a.strings('fused_ops') : [];
        const hasBias = fused[0] === 'BiasAdd';
        const bn = fused[0] === 'FusedBatchNorm' || fused[0] === 'FusedBatchNormV3';
        const stride = a.ints('strides');
        const dil = a.ints('dilations');
        const conv = new Conv2d(cin, depthwise ? cin * cout : cout, [kh, kw], {
          stride: stride.length === 4 ? [stride[1]!, stride[2]!] : 1,
          padding: windowPadding(a, n.name, file),
          dilation: dil.length === 4 ? [dil[1]!, dil[2]!] : 1,
          groups: depthwise ? cin : 1,
          bias: hasBias,
        });
        const w = depthwise
          ? permute(k, [2, 3, 0, 1])
              .clone()
              .reshape([cin * cout, 1, kh, kw])
          : permute(k, [3, 2, 0, 1]).clone();
        conv.weight.data.set(w.data);
        if (hasBias) conv.bias!.data.set(constOf(ins[2]!, `the bias of '${n.name}'`).data);
        out = add(name, conv, [x], 4, 'nchw');
        if (bn) {
          const [scale, offset, mean, variance] = [2, 3, 4, 5].map((i) =>
            constOf(ins[i] ?? refuse(file, `'${n.name}' lacks batch-norm inputs`), 'batch-norm parameters'),
          );
          const norm = new BatchNorm2d(scale!.size, { eps: a.float('epsilon', 1e-3) });
          norm.weight!.data.set(scale!.data);
          norm.bias!.data.set(offset!.data);
          norm.runningMean!.data.set(mean!.data);
          norm.runningVar!.data.set(variance!.data);
          out = add(`${name}_bn`, norm.eval(), [out as Extract<Value, { kind: 'node' }>], 4, 'nchw');
        }
        const actName = fused[1];
        if (actName !== undefined) {
          const act =
            tfActivationLayer(actName, a) ??
            refuse(file, `'${n.name}' fuses the unsupported activation ${actName}`);
          out = add(
            `${name}_${actName.toLowerCase()}`,
            act,
            [out as Extract<Value, { kind: 'node' }>],
            4,
            'nchw',
          );
        } else if (fused.length > 1 && !bn) refuse(file, `'${n.name}' fuses ${fused.join(', ')}`);
        break;
      }
      case 'Conv2DBackpropInput': {
        // A transposed convolution: inputs (output size, filter [kh, kw, out, in], value).
        if (a.string('data_format', 'NHWC') !== 'NHWC')
          refuse(file, `node '${n.name}' uses data_format ${a.string('data_format', '')}`);
        const size = Array.from(constOf(ins[0]!, `the output size of '${n.name}'`).data);
        const k = constOf(ins[1]!, `the filter of '${n.name}'`);
        const [kh, kw, cout, cin] = k.shape as [number, number, number, number];
        const st = a.ints('strides');
        const dil = a.ints('dilations');
        if (dil.some((d) => d !== 1)) refuse(file, `'${n.name}' is a dilated transposed convolution`);
        const stride: [number, number] = st.length === 4 ? [st[1]!, st[2]!] : [1, 1];
        const same = windowPadding(a, n.name, file) === 'same';
        // TF crops the full (in-1)·s + k output to the requested size, SAME taking floor(extra/2)
        // from the start; PyTorch's padding crops p from both ends and outputPadding adds back at the end.
        // The input size is the forward convolution's output size for an input of the output size.
        const padding: number[] = [];
        const outputPadding: number[] = [];
        for (const d of [0, 1]) {
          const o = size[d + 1]!;
          const kk = d === 0 ? kh : kw;
          const s = stride[d]!;
          const inSize = same ? Math.ceil(o / s) : Math.floor((o - kk) / s) + 1;
          const full = (inSize - 1) * s + kk;
          const extra = full - o;
          if (same && extra >= 0 && extra % 2 === 0) {
            padding.push(extra / 2);
            outputPadding.push(0);
          } else if (!same && extra <= 0 && -extra < s) {
            padding.push(0);
            outputPadding.push(-extra);
          } else
            refuse(
              file,
              `'${n.name}' crops its output in a way Stride's transposed convolution does not match`,
            );
        }
        const m = new Conv2dTranspose(cin, cout, [kh, kw], {
          stride,
          padding: [padding[0]!, padding[1]!],
          outputPadding: [outputPadding[0]!, outputPadding[1]!],
          bias: false,
        });
        m.weight.data.set(permute(k, [3, 2, 0, 1]).clone().data);
        out = add(name, m, [x], 4, 'nchw');
        break;
      }
      case 'AddN':
        if (dyn.length !== ins.length) refuse(file, `'${n.name}' adds constants`);
        out = add(name, new Add(), dyn, x.rank, x.layout);
        break;
      case 'MatMul':
      case '_FusedMatMul': {
        const b = constOf(ins[1]!, `the weight of '${n.name}'`);
        if (a.bool('transpose_a', false) || x.rank !== 2)
          refuse(file, `'${n.name}' multiplies a transposed or non-2-D input`);
        const w = a.bool('transpose_b', false) ? b : b.transpose(0, 1).clone();
        const fused = n.op === '_FusedMatMul' ? a.strings('fused_ops') : [];
        const lin = new Linear(w.shape[1]!, w.shape[0]!, { bias: fused[0] === 'BiasAdd' });
        lin.weight.data.set(w.data);
        if (lin.bias) lin.bias.data.set(constOf(ins[2]!, `the bias of '${n.name}'`).data);
        out = add(name, lin, [x], 2, 'plain');
        if (fused[1] !== undefined) {
          const act =
            tfActivationLayer(fused[1], a) ??
            refuse(file, `'${n.name}' fuses the unsupported activation ${fused[1]}`);
          out = add(
            `${name}_${fused[1].toLowerCase()}`,
            act,
            [out as Extract<Value, { kind: 'node' }>],
            2,
            'plain',
          );
        }
        break;
      }
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Maximum':
      case 'Minimum': {
        const op = TF_BINARY[n.op]!;
        const rank = Math.max(...dyn.map((v) => v.rank));
        const layout: Layout = dyn.some((v) => v.layout === 'nchw') ? 'nchw' : 'plain';
        if (dyn.length === 2 && op === 'add') {
          out = add(name, new Add(), dyn, rank, layout);
          break;
        }
        let k = 0;
        const operands: GraphOpOperand[] = ins.map((v) =>
          v.kind === 'node' ? k++ : constFor(v.tensor, layout).clone(),
        );
        out = add(name, new GraphOp(op, operands), dyn, rank, layout);
        break;
      }
      case 'MaxPool':
      case 'AvgPool': {
        const k = a.ints('ksize');
        const s = a.ints('strides');
        if (k.length !== 4 || s.length !== 4) refuse(file, `'${n.name}' has malformed ksize or strides`);
        const padding = windowPadding(a, n.name, file);
        const pool: [number, number] = [k[1]!, k[2]!];
        const stride: [number, number] = [s[1]!, s[2]!];
        const m =
          n.op === 'MaxPool'
            ? new MaxPool2d(pool, { stride, padding })
            : new AvgPool2d(pool, { stride, padding, countIncludePad: false });
        out = add(name, m, [x], 4, 'nchw');
        break;
      }
      case 'Mean':
      case 'Max':
      case 'Sum': {
        const axes = Array.from(constOf(ins[1]!, `the axes of '${n.name}'`).data, (v) =>
          toChannelsFirst(v, x.rank, x.layout),
        );
        const keep = a.bool('keep_dims', a.bool('keepdims', false));
        const spatial = x.layout === 'nchw' && axes.length === 2 && axes.includes(2) && axes.includes(3);
        if (x.layout === 'nchw' && !keep && !spatial)
          refuse(file, `'${n.name}' reduces channels-last axes Stride cannot map`);
        const op = TF_REDUCE[n.op]!;
        out = add(
          name,
          new GraphOp(op, [0], { axes, keepdims: keep }),
          [x],
          keep ? x.rank : x.rank - axes.length,
          keep ? x.layout : 'plain',
        );
        break;
      }
      case 'Squeeze': {
        const dims = a.ints('squeeze_dims').map((d) => toChannelsFirst(d, x.rank, x.layout));
        if (dims.length === 0) refuse(file, `'${n.name}' squeezes every unit dimension; give squeeze_dims`);
        if (x.layout === 'nchw' && !(dims.length === 2 && dims.includes(2) && dims.includes(3)))
          refuse(file, `'${n.name}' squeezes channels-last axes Stride cannot map`);
        const op = new GraphOp('squeeze', [0], { axes: dims });
        out = add(name, op, [x], x.rank - dims.length, 'plain');
        break;
      }
      case 'Reshape': {
        const target = Array.from(constOf(ins[1]!, `the shape of '${n.name}'`).data);
        const m = new ChannelsLastReshape(target.slice(1).map((d) => (d === 0 ? -1 : d)));
        out = add(name, m, [x], target.length, target.length === 4 ? 'nchw' : 'plain');
        break;
      }
      case 'Softmax':
        out = add(name, new Softmax(x.layout === 'nchw' ? 1 : -1), [x], x.rank, x.layout);
        break;
      case 'ConcatV2': {
        const axis = constOf(ins[ins.length - 1]!, `the axis of '${n.name}'`).data[0]!;
        if (ins.slice(0, -1).some((v) => v.kind === 'const'))
          refuse(file, `'${n.name}' concatenates constants`);
        out = add(name, new Concat(toChannelsFirst(axis, x.rank, x.layout)), dyn, x.rank, x.layout);
        break;
      }
      case 'Pad':
      case 'PadV2': {
        const p = Array.from(constOf(ins[1]!, `the paddings of '${n.name}'`).data);
        const value = n.op === 'PadV2' && ins[2] ? constOf(ins[2], 'the pad value').data[0]! : 0;
        if (
          x.layout !== 'nchw' ||
          p.length !== 8 ||
          p[0] !== 0 ||
          p[1] !== 0 ||
          p[6] !== 0 ||
          p[7] !== 0 ||
          value !== 0
        ) {
          refuse(file, `'${n.name}' pads other than the spatial borders with zeros`);
        }
        out = add(name, new ZeroPad2d([p[4]!, p[5]!, p[2]!, p[3]!]), [x], 4, 'nchw');
        break;
      }
      case 'ResizeBilinear':
      case 'ResizeNearestNeighbor': {
        const size = Array.from(constOf(ins[1]!, `the size of '${n.name}'`).data) as [number, number];
        const align = a.bool('align_corners', false);
        const half = a.bool('half_pixel_centers', false);
        let m: Module;
        if (n.op === 'ResizeNearestNeighbor' && !align && !half) m = new Upsample({ size });
        else if (n.op === 'ResizeBilinear' && (align || half))
          m = new Upsample({ size, mode: 'bilinear', alignCorners: align });
        else if (n.op === 'ResizeBilinear') m = new Upsample({ size, mode: 'bilinear', asymmetric: true });
        else
          refuse(
            file,
            `'${n.name}' uses a resize mode Stride does not match exactly (align_corners=${align}, half_pixel_centers=${half})`,
          );
        out = add(name, m, [x], 4, 'nchw');
        break;
      }
      default: {
        // Activations: the catalog's rows name their TensorFlow ops.
        const act =
          tfActivationLayer(n.op, a) ??
          refuse(file, `node '${n.name}' is a ${n.op}, which Stride does not import`);
        out = add(name, act, [x], x.rank, x.layout);
      }
    }
    values.set(n.name, out);
  }
  const consumed = new Set(nodes.flatMap((n) => n.inputs.map((i) => i.replace(/:\d+$/, ''))));
  const outNames =
    opts.outputs ??
    nodes
      .filter((n) => n.op !== TF_CONSTANT_OP && n.op !== 'NoOp' && !consumed.has(n.name))
      .map((n) => n.name);
  const outs = outNames.map((nm) => {
    const v = values.get(nm.replace(/:0$/, '')) ?? refuse(file, `the output '${nm}' does not exist`);
    return v.kind === 'node' ? v.node : refuse(file, `the output '${nm}' is a constant`);
  });
  if (outs.length === 0) refuse(file, 'the graph has no outputs');
  g.output(...outs);
  return g.eval();
}
