import { Graph, Identity } from '../../nn/index.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json-value.js';
import { ModelFileError } from '../model-file-error.js';
import { kerasClasses, kerasImportFor } from '../catalog/layers.js';
import type { KerasValue } from '../catalog/keras-layer.js';
import { kerasActivation } from './keras-activations.js';
import { findWeight } from './tfjs-weights.js';

/** A value of the graph being built (rank including the batch dimension; feature maps are NCHW). */
type Value = KerasValue;

function refuse(
  file: string | undefined,
  problem: string,
  fix = 'convert the model with layers Stride supports',
): never {
  throw new ModelFileError('importTfjs', file, problem, fix);
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
    let out: Value;
    if (cls === 'Activation') {
      // An activation by name: the activation catalog's Keras names ('linear' is none).
      const act = kerasActivation(String(cfg.activation));
      if (act === undefined) refuse(file, `layer '${name}' uses the activation '${String(cfg.activation)}'`);
      out = add(name, act ?? new Identity(), [x], x.rank);
    } else {
      // Every other class: the catalog row that imports it (io/catalog/).
      const row =
        kerasImportFor(cls) ??
        refuse(
          file,
          `layer '${name}' is a ${cls}, which Stride does not import (it imports ${kerasClasses().join(', ')})`,
        );
      out = row.create({
        className: cls,
        name,
        config: cfg,
        inputs: ins,
        padding: cfg.padding === 'same' ? 'same' : 'valid',
        weight: (w) => weight(name, w),
        optionalWeight: (w) => optionalWeight(name, w),
        setWeight: (target, value, w) => setWeight(target, value, `${name}/${w}`, file),
        add: (nodeName, m, args, rank) => add(nodeName, m, [...args], rank),
        withActivation,
        refuse: (problem) => refuse(file, problem),
      });
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
