/**
 * The catalog rows of the containers and wrappers: Sequential and Graph (saved as their children's
 * specs; ONNX export traces through them) and LazyLayer (a Keras-style layer: its inner layer and
 * its activation by name; ONNX export writes both).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { ValueError } from '../../errors.js';
import { Conv2d, Conv2dTranspose, DepthwiseSeparableConv2d } from '../../nn/conv.js';
import { Graph, type GraphNode } from '../../nn/graph.js';
import { ACTIVATION_NAMES, activation, LazyLayer } from '../../nn/keras-shorthand.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { BatchNorm1d, BatchNorm2d } from '../../nn/normalization.js';
import { Sequential } from '../../nn/sequential.js';
import { zeros } from '../../tensor/creation.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ConfigReader } from '../config-reader.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json-value.js';
import { ModelFileError } from '../model-file-error.js';
import { refuse } from '../onnx/layer-export-context.js';
import { defined } from './config-values.js';
import type { LayerRow } from './layer-row.js';

/** A list entry that must be an object with a string `name`. */
function namedEntry(c: ConfigReader, key: string, v: JsonValue): JsonObject & { name: string } {
  if (!isJsonObject(v) || typeof v.name !== 'string') return c.fail(key, 'a list of objects with a name');
  return v as JsonObject & { name: string };
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

const sequential: LayerRow<Sequential> = {
  saved: {
    type: 'Sequential',
    cls: Sequential,
    toConfig: (m, ctx, path) => ({
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
};

const graph: LayerRow<Graph> = {
  saved: {
    type: 'Graph',
    cls: Graph,
    toConfig: (g, ctx, path) => {
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
};

const lazyLayer: LayerRow<LazyLayer> = {
  saved: {
    type: 'LazyLayer',
    cls: LazyLayer,
    toConfig: (m, ctx, path) => {
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
  onnx: (m, c) => {
    if (!m.isBuilt)
      refuse(
        'a Keras-style layer',
        'it has not been built',
        'run one batch through the model before exporting',
      );
    const inner = m.layer;
    let y: string;
    if (inner instanceof DepthwiseSeparableConv2d) {
      const conv = c.exporterOf(inner.depthwise)!;
      const mid = conv(inner.depthwise, { ...c, path: `${c.path}.depthwise` });
      y = conv(inner.pointwise, { ...c, path: `${c.path}.pointwise`, inputs: [mid] });
    } else {
      const exporter =
        c.exporterOf(inner) ?? refuse(inner.typeName, 'it has no ONNX form', 'use layers with an ONNX form');
      y = exporter(inner, c);
    }
    const name = m.activationName;
    if (name === undefined) return y;
    const act = activation(name);
    const exporter =
      c.exporterOf(act) ?? refuse(act.typeName, 'it has no ONNX form', 'use another activation');
    return exporter(act, { ...c, inputs: [y], inputTensors: [c.output], path: `${c.path}.activation` });
  },
};

/** The containers' and LazyLayer's rows. */
export const CONTAINERS: readonly LayerRow[] = [
  sequential,
  graph,
  lazyLayer,
] as unknown as readonly LayerRow[];
