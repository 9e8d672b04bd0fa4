import { Graph } from '../../nn/index.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { tfActivationLayer } from '../catalog/activations.js';
import { tfjsGraphImportFor } from '../catalog/layers.js';
import { TfAttrs, type TfGraphNode, type TfGraphValue, type TfOperand } from '../catalog/tfjs-graph-layer.js';
import { isJsonObject, type JsonObject } from '../json-value.js';
import { ModelFileError } from '../model-file-error.js';

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

/** Ops that pass their input through unchanged. */
const TF_PASS_THROUGH = new Set(['Identity', 'StopGradient', 'Snapshot']);

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
  const values = new Map<string, TfOperand>();
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
  const lookup = (ref: string, user: string): TfOperand => {
    const name = ref.replace(/:0$/, '');
    if (/:\d+$/.test(name))
      refuse(file, `node '${user}' reads output ${name}, a secondary output Stride does not compute`);
    return values.get(name) ?? refuse(file, `node '${user}' reads '${name}', which is not defined before it`);
  };

  for (const n of nodes) {
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
      if (TF_PASS_THROUGH.has(n.op) && ins.length === 1) {
        values.set(n.name, ins[0]!);
        continue;
      }
      refuse(
        file,
        `node '${n.name}' (${n.op}) computes on constants only, which Stride does not evaluate`,
        'convert the model with constant folding (the TF.js converter does this by default)',
      );
    }
    const dynamic = ins.filter((v): v is Extract<TfOperand, { kind: 'node' }> => v.kind === 'node');
    if (TF_PASS_THROUGH.has(n.op)) {
      values.set(n.name, dynamic[0]!);
      continue;
    }
    const attrs = new TfAttrs(n.attr);
    const name = layerName(n.name);
    const add = (
      nm: string,
      m: Module,
      args: readonly TfGraphValue[],
      rank: number,
      layout: TfGraphValue['layout'],
    ) => ({ kind: 'node', node: g.add(nm, m, ...args.map((v) => v.node)), rank, layout }) as const;
    const node: TfGraphNode = {
      op: n.op,
      name,
      tfName: n.name,
      attrs,
      inputs: ins,
      dynamic,
      x: dynamic[0]!,
      constant: (i, what) => {
        const v = ins[i] ?? refuse(file, `'${n.name}' lacks ${what}`);
        return v.kind === 'const' ? v.tensor : refuse(file, `${what} must be a constant`);
      },
      add,
      withActivation: (v, op) => {
        const act =
          tfActivationLayer(op, attrs) ?? refuse(file, `'${n.name}' fuses the unsupported activation ${op}`);
        return add(`${name}_${op.toLowerCase()}`, act, [v], v.rank, v.layout);
      },
      refuse: (problem) => refuse(file, problem),
    };
    const row = tfjsGraphImportFor(n.op);
    let out: TfGraphValue;
    if (row) out = row.create(node);
    else {
      // Activations with only attributes: the catalog's activation rows name their TensorFlow ops.
      const act =
        tfActivationLayer(n.op, attrs) ??
        refuse(file, `node '${n.name}' is a ${n.op}, which Stride does not import`);
      out = add(node.name, act, [node.x], node.x.rank, node.x.layout);
    }
    values.set(n.name, { kind: 'node', ...out });
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
