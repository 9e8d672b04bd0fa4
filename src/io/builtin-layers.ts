import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { FUSED_ACTIVATIONS, type FusedActivation } from '../ops/fused-activation.js';
import type { UpsampleOptions } from '../ops/upsample.js';
import { zeros } from '../tensor/creation.js';
import { Conv2d, Conv2dTranspose, DepthwiseSeparableConv2d } from '../nn/conv.js';
import { Graph, type GraphNode } from '../nn/graph.js';
import { ACTIVATION_NAMES, LazyLayer } from '../nn/keras-shorthand.js';
import { Linear } from '../nn/linear.js';
import { Add, Concat } from '../nn/merge.js';
import type { Module } from '../nn/module.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/normalization.js';
import { Sequential } from '../nn/sequential.js';
import { Upsample } from '../nn/upsample.js';
import type { Tensor } from '../tensor/tensor.js';
import { FaceNormalize, ZeroPadChannels } from '../models/face-recognition-net.js';
import {
  ACTIVATIONS,
  activationOptions,
  type ActivationRow,
  type OptionValue,
} from './catalog/activations.js';
import { defined, json, paddingJson } from './catalog/config-values.js';
import { LAYER_ROWS } from './catalog/layers.js';
import type { ConfigReader } from './config-reader.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import { registerLayer, type LayerSerializer } from './layer-registry.js';
import { ModelFileError } from './model-file-error.js';

/** A list entry that must be an object with a string `name`. */
function namedEntry(c: ConfigReader, key: string, v: JsonValue): JsonObject & { name: string } {
  if (!isJsonObject(v) || typeof v.name !== 'string') return c.fail(key, 'a list of objects with a name');
  return v as JsonObject & { name: string };
}

/** A layer's optional fused `activation` field (absent: none). */
function fusedActivation(c: ConfigReader): FusedActivation | null {
  return c.has('activation') ? c.string('activation', FUSED_ACTIVATIONS) : null;
}

/** The `activation` field of a layer's config: present only when set, so older files stay identical. */
function activationJson(a: FusedActivation | null): { activation?: string } {
  return a ? { activation: a } : {};
}

function biasSize(c: ConfigReader, n: number): number {
  return c.bool('bias', true) ? n : 0;
}

/** Weight + bias values of a (transposed) convolution: out·in/groups·kH·kW, plus out for the bias. */
function convStateSize(c: ConfigReader): number {
  const [kh, kw] = c.pair('kernelSize');
  const out = c.int('outChannels', undefined, 1);
  return (out * c.int('inChannels', undefined, 1) * kh * kw) / c.int('groups', 1, 1) + biasSize(c, out);
}

function numberOrPair(c: ConfigReader, key: string, integer: boolean): number | [number, number] | undefined {
  if (!c.has(key)) return undefined;
  const v = c.raw(key);
  const ok = (d: unknown) =>
    typeof d === 'number' && Number.isFinite(d) && d > 0 && (!integer || Number.isSafeInteger(d));
  if (ok(v)) return v as number;
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0] as number, v[1] as number];
  return c.fail(key, `a positive ${integer ? 'integer' : 'number'} or a pair of them`);
}

/** An input that a freshly built layer accepts, to turn a rebuilt Keras-style layer into a built one. */
function probeInput(inner: Module, path: string, file?: string): Tensor {
  if (inner instanceof Conv2d) {
    const [kh, kw] = inner.kernelSize;
    const [dh, dw] = inner.dilation;
    return zeros([1, inner.inChannels, dh * (kh - 1) + 1, dw * (kw - 1) + 1]);
  }
  if (inner instanceof Conv2dTranspose) {
    return zeros([1, inner.inChannels, 1 + 2 * inner.padding[0], 1 + 2 * inner.padding[1]]);
  }
  if (inner instanceof DepthwiseSeparableConv2d) return probeInput(inner.depthwise, path, file);
  if (inner instanceof Linear) return zeros([1, inner.inFeatures]);
  if (inner instanceof BatchNorm2d) return zeros([2, inner.numFeatures, 1, 1]);
  if (inner instanceof BatchNorm1d) return zeros([2, inner.numFeatures]);
  throw new ModelFileError(
    'load',
    file,
    `layer '${path}': a Keras-style layer cannot wrap a ${inner.typeName}`,
    'the architecture JSON is corrupt or was written by an incompatible version',
  );
}

/**
 * The saved form of an activation, from its catalog row: its options by name (an unset optional
 * one is left out), read back with the constructor's defaults (those of a layer built without
 * arguments), so no default is written here.
 */
function activationSerializer(row: ActivationRow): LayerSerializer {
  const defaults = activationOptions(row, row.create({}));
  return {
    type: row.type,
    cls: row.cls,
    toConfig: (m) => defined(activationOptions(row, m)),
    fromConfig: (c) => {
      const values: Record<string, OptionValue> = {};
      for (const o of row.options) {
        const def = defaults[o.name];
        if (o.kind === 'number') values[o.name] = c.number(o.name, def as number);
        else if (o.kind === 'enum') values[o.name] = c.string(o.name, o.values, def as string);
        else values[o.name] = c.optionalInt(o.name);
      }
      return row.create(values);
    },
  };
}

const serializers: LayerSerializer[] = [
  {
    type: 'Conv2d',
    cls: Conv2d,
    toConfig: (m: Conv2d) => ({
      inChannels: m.inChannels,
      outChannels: m.outChannels,
      kernelSize: json(m.kernelSize),
      stride: json(m.stride),
      padding: paddingJson(m.padding),
      dilation: json(m.dilation),
      groups: m.groups,
      bias: m.bias !== null,
      ...activationJson(m.activation),
    }),
    fromConfig: (c) =>
      new Conv2d(
        c.int('inChannels', undefined, 1),
        c.int('outChannels', undefined, 1),
        c.pair('kernelSize'),
        {
          stride: c.pair('stride', 1),
          padding: c.padding('padding'),
          dilation: c.pair('dilation', 1),
          groups: c.int('groups', 1, 1),
          bias: c.bool('bias', true),
          activation: fusedActivation(c),
        },
      ),
    stateSize: convStateSize,
  },
  {
    type: 'Conv2dTranspose',
    cls: Conv2dTranspose,
    toConfig: (m: Conv2dTranspose) => ({
      inChannels: m.inChannels,
      outChannels: m.outChannels,
      kernelSize: json(m.kernelSize),
      stride: json(m.stride),
      padding: json(m.padding),
      outputPadding: json(m.outputPadding),
      dilation: json(m.dilation),
      groups: m.groups,
      bias: m.bias !== null,
    }),
    fromConfig: (c) =>
      new Conv2dTranspose(
        c.int('inChannels', undefined, 1),
        c.int('outChannels', undefined, 1),
        c.pair('kernelSize'),
        {
          stride: c.pair('stride', 1),
          padding: c.pair('padding', 0, 0),
          outputPadding: c.pair('outputPadding', 0, 0),
          dilation: c.pair('dilation', 1),
          groups: c.int('groups', 1, 1),
          bias: c.bool('bias', true),
        },
      ),
    stateSize: convStateSize,
  },
  {
    type: 'DepthwiseSeparableConv2d',
    cls: DepthwiseSeparableConv2d,
    toConfig: (m: DepthwiseSeparableConv2d) => ({
      inChannels: m.depthwise.inChannels,
      outChannels: m.pointwise.outChannels,
      kernelSize: json(m.depthwise.kernelSize),
      stride: json(m.depthwise.stride),
      padding: paddingJson(m.depthwise.padding),
      dilation: json(m.depthwise.dilation),
      depthMultiplier: m.depthwise.outChannels / m.depthwise.inChannels,
      bias: m.depthwise.bias !== null,
    }),
    fromConfig: (c) =>
      new DepthwiseSeparableConv2d(
        c.int('inChannels', undefined, 1),
        c.int('outChannels', undefined, 1),
        c.pair('kernelSize'),
        {
          stride: c.pair('stride', 1),
          padding: c.padding('padding'),
          dilation: c.pair('dilation', 1),
          depthMultiplier: c.int('depthMultiplier', 1, 1),
          bias: c.bool('bias', true),
        },
      ),
    stateSize: (c) => {
      const [kh, kw] = c.pair('kernelSize');
      const mid = c.int('inChannels', undefined, 1) * c.int('depthMultiplier', 1, 1);
      const out = c.int('outChannels', undefined, 1);
      return mid * kh * kw + biasSize(c, mid) + mid * out + biasSize(c, out);
    },
  },
  {
    type: 'Linear',
    cls: Linear,
    toConfig: (m: Linear) => ({
      inFeatures: m.inFeatures,
      outFeatures: m.outFeatures,
      bias: m.bias !== null,
    }),
    fromConfig: (c) =>
      new Linear(c.int('inFeatures', undefined, 1), c.int('outFeatures', undefined, 1), {
        bias: c.bool('bias', true),
      }),
    stateSize: (c) => {
      const out = c.int('outFeatures', undefined, 1);
      return c.int('inFeatures', undefined, 1) * out + biasSize(c, out);
    },
  },
  ...LAYER_ROWS.map((r) => r.saved),
  {
    type: 'Add',
    cls: Add,
    toConfig: (m: Add) => activationJson(m.activation),
    fromConfig: (c) => new Add({ activation: fusedActivation(c) }),
  },
  ...ACTIVATIONS.map(activationSerializer),
  {
    type: 'Concat',
    cls: Concat,
    toConfig: (m: Concat) => ({ dim: m.dim }),
    fromConfig: (c) => new Concat(c.int('dim', 1)),
  },
  {
    type: 'Upsample',
    cls: Upsample,
    toConfig: (m: Upsample) => {
      const o = m.options;
      return defined({
        size: o.size === undefined ? undefined : json(o.size),
        scaleFactor: o.scaleFactor === undefined ? undefined : json(o.scaleFactor),
        mode: o.mode,
        alignCorners: o.alignCorners,
        asymmetric: o.asymmetric,
      });
    },
    fromConfig: (c) => {
      const opts: UpsampleOptions = {};
      const size = numberOrPair(c, 'size', true);
      const scaleFactor = numberOrPair(c, 'scaleFactor', false);
      if (size !== undefined) opts.size = size;
      if (scaleFactor !== undefined) opts.scaleFactor = scaleFactor;
      if (c.has('mode')) opts.mode = c.string('mode', ['nearest', 'bilinear'] as const);
      if (c.has('alignCorners')) opts.alignCorners = c.bool('alignCorners');
      if (c.has('asymmetric')) opts.asymmetric = c.bool('asymmetric');
      return new Upsample(opts);
    },
  },
  {
    type: 'Sequential',
    cls: Sequential,
    toConfig: (m: Sequential, ctx, path) => ({
      layers: m.namedChildren().map(([name, child]) => ({
        name,
        layer: ctx.spec(child, path ? `${path}.${name}` : name) as unknown as JsonObject,
      })),
    }),
    fromConfig: (c, ctx) => {
      const seq = new Sequential();
      for (const item of c.list('layers')) {
        const entry = namedEntry(c, 'layers', item);
        const path = c.where ? `${c.where}.${entry.name}` : entry.name;
        try {
          seq.append(ctx.build(entry.layer, path), entry.name);
        } catch (err) {
          if (err instanceof ValueError) c.fail('layers', `valid layer names (${err.message})`);
          throw err;
        }
      }
      return seq;
    },
    stateSize: (c, ctx) =>
      c.list('layers').reduce<number>((sum, item) => {
        const entry = namedEntry(c, 'layers', item);
        return sum + ctx.stateSize(entry.layer, c.where ? `${c.where}.${entry.name}` : entry.name);
      }, 0),
  },
  {
    type: 'Graph',
    cls: Graph,
    toConfig: (g: Graph, ctx, path) => {
      const firstName = new Map<Module, string>();
      const steps = g.nodes().map((s): JsonObject => {
        if (s.module === null) return { name: s.name, input: true, shape: s.shape ? [...s.shape] : null };
        const shared = firstName.get(s.module);
        if (shared !== undefined) return { name: s.name, inputs: [...s.inputs], shares: shared };
        firstName.set(s.module, s.name);
        const layer = ctx.spec(s.module, path ? `${path}.${s.name}` : s.name) as unknown as JsonObject;
        return { name: s.name, inputs: [...s.inputs], layer };
      });
      return { steps, outputs: g.outputNames };
    },
    fromConfig: (c, ctx) => {
      const g = new Graph();
      const nodes = new Map<string, GraphNode>();
      const modules = new Map<string, Module>();
      for (const item of c.list('steps')) {
        const step = namedEntry(c, 'steps', item);
        const name = step.name;
        const path = c.where ? `${c.where}.${name}` : name;
        try {
          if (step.input === true) {
            const shape = step.shape;
            if (shape !== null && shape !== undefined && !Array.isArray(shape))
              return c.fail('steps', 'input shapes as lists');
            nodes.set(name, g.input(Array.isArray(shape) ? (shape as number[]) : undefined, name));
            continue;
          }
          const inputs = Array.isArray(step.inputs) ? step.inputs : [];
          const args = inputs.map((n: JsonValue): GraphNode => {
            const node = typeof n === 'string' ? nodes.get(n) : undefined;
            return (
              node ??
              c.fail('steps', `inputs naming earlier steps (step '${name}' reads ${JSON.stringify(n)})`)
            );
          });
          let node: GraphNode;
          if (typeof step.shares === 'string') {
            const m =
              modules.get(step.shares) ??
              c.fail('steps', `'shares' naming an earlier layer (step '${name}')`);
            node = g.add(m, ...args);
            if (node.name !== name)
              c.fail('steps', `shared-layer step names in creation order (got '${name}')`);
          } else {
            const m = ctx.build(step.layer, path);
            modules.set(name, m);
            node = g.add(name, m, ...args);
          }
          nodes.set(name, node);
        } catch (err) {
          if (err instanceof ValueError) c.fail('steps', `a valid graph (${err.message})`);
          throw err;
        }
      }
      const outputs = c.stringList('outputs').map((n) => nodes.get(n) ?? c.fail('outputs', 'names of steps'));
      if (outputs.length > 0) g.output(...outputs);
      return g;
    },
    stateSize: (c, ctx) =>
      c.list('steps').reduce<number>((sum, item) => {
        const step = namedEntry(c, 'steps', item);
        if (step.input === true || typeof step.shares === 'string') return sum;
        return sum + ctx.stateSize(step.layer, c.where ? `${c.where}.${step.name}` : step.name);
      }, 0),
  },
  {
    type: 'FaceNormalize',
    cls: FaceNormalize,
    toConfig: () => ({}),
    fromConfig: () => new FaceNormalize(),
    stateSize: () => 3,
  },
  {
    type: 'ZeroPadChannels',
    cls: ZeroPadChannels,
    toConfig: (m: ZeroPadChannels) => ({ extra: m.extra }),
    fromConfig: (c) => new ZeroPadChannels(c.int('extra', undefined, 0)),
  },
  {
    type: 'LazyLayer',
    cls: LazyLayer,
    toConfig: (m: LazyLayer, ctx, path) => {
      if (!m.isBuilt) {
        throw new ValueError(
          'save',
          `layer '${path || '(root)'}' is a Keras-style layer that has not been built yet, so it has no weights to save. ` +
            'Fix: run one batch through the model, or call st.layers.build(model, inputShape), before saving',
        );
      }
      return defined({
        layer: ctx.spec(m.layer, path) as unknown as JsonObject,
        activation: m.activationName,
      });
    },
    fromConfig: (c, ctx) => {
      const inner = ctx.build(c.raw('layer'), c.where);
      const act = c.has('activation') ? c.string('activation', ACTIVATION_NAMES) : undefined;
      const lazy = new LazyLayer(inner.typeName, inner.extraRepr(), () => inner, act);
      // Build it now (its weights must exist before they are loaded), on a probe that leaves no state behind.
      const probe = probeInput(inner, c.where, c.file);
      lazy.eval();
      noGrad(() => lazy.forward(probe));
      lazy.train();
      return lazy;
    },
    stateSize: (c, ctx) => ctx.stateSize(c.raw('layer'), c.where),
  },
];

for (const s of serializers) registerLayer(s);

/** The serializers of Stride's built-in layers and containers (registered when this module loads). */
export const BUILTIN_LAYER_TYPES: readonly string[] = serializers.map((s) => s.type);
