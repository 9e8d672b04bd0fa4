import { applyCardMetadata } from '../card-metadata.js';
import type { Graph } from '../../nn/graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isJsonObject } from '../json-value.js';
import { ModelFileError } from '../model-file-error.js';
import { importKerasModel } from './import-keras.js';
import { importTfjsGraphModel } from './import-tfjs-graph.js';
import { decodeTfjsWeights, parseWeightsManifest, type TfjsWeightGroup } from './tfjs-weights.js';

/** Options of {@link importTfjs}. */
export interface ImportTfjsOptions {
  /** The model file's name, for messages. */
  file?: string;
}

/** The kind of TF.js model a `model.json` holds. */
export type TfjsModelFormat = 'layers-model' | 'graph-model';

/** Which kind of TF.js model `modelJson` is (its `format`, or its topology's shape). */
export function tfjsModelFormat(modelJson: unknown, file?: string): TfjsModelFormat {
  if (!isJsonObject(modelJson) || !isJsonObject(modelJson.modelTopology)) {
    throw new ModelFileError(
      'importTfjs',
      file,
      'not a TF.js model: no modelTopology',
      'pass the parsed model.json of a TF.js layers or graph model',
    );
  }
  if (modelJson.format === 'graph-model' || Array.isArray(modelJson.modelTopology.node)) return 'graph-model';
  return 'layers-model';
}

/** The weight groups a `model.json` lists (validated). */
export function tfjsWeightGroups(modelJson: unknown, file?: string): TfjsWeightGroup[] {
  const manifest = isJsonObject(modelJson) ? modelJson.weightsManifest : undefined;
  return parseWeightsManifest(manifest ?? [], file);
}

/**
 * Import a TF.js model from its parsed `model.json` and the bytes of its weight shards
 * (concatenated in manifest order): a layers model (Keras) through `importKerasModel`, a graph model
 * through `importTfjsGraphModel`. Quantized weights (uint8, uint16, float16) are dequantized as
 * TF.js does. The result is a Stride Graph on channels-first images, in evaluation mode.
 */
export function importTfjs(modelJson: unknown, weightData: Uint8Array, opts: ImportTfjsOptions = {}): Graph {
  const format = tfjsModelFormat(modelJson, opts.file);
  const weights: Map<string, Tensor> = decodeTfjsWeights(
    tfjsWeightGroups(modelJson, opts.file),
    weightData,
    opts.file,
  );
  const topology = (modelJson as { modelTopology: unknown }).modelTopology;
  const graph =
    format === 'graph-model'
      ? importTfjsGraphModel(topology, weights, opts)
      : importKerasModel(topology, weights, opts);
  applyCardMetadata('importTfjs', graph, userMetadata(modelJson), opts.file);
  return graph;
}

/** A model.json's `userDefinedMetadata` (what `model.setUserDefinedMetadata` saved) as strings. */
function userMetadata(modelJson: unknown): Record<string, string> {
  const md = (modelJson as { userDefinedMetadata?: unknown }).userDefinedMetadata;
  if (typeof md !== 'object' || md === null || Array.isArray(md)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}
