import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { Graph } from '../../nn/graph.js';
import type { Tensor } from '../../tensor/tensor.js';
import { ModelFileError } from '../model-file-error.js';
import { readModelFile } from '../read-file-node.js';
import { faceRecognitionNetFromTfjs } from './face-recognition-weights.js';
import { importTfjs, tfjsWeightGroups } from './import-tfjs.js';
import { decodeTfjsWeights, parseWeightsManifest, type TfjsWeightGroup } from './tfjs-weights.js';

/**
 * Read the weight shards of a manifest from the directory of the JSON that lists them. Shard paths
 * must stay inside that directory (a model file cannot make Stride read other files).
 */
export function readTfjsShards(jsonPath: string, groups: readonly TfjsWeightGroup[]): Uint8Array {
  const dir = dirname(jsonPath);
  const parts: Uint8Array[] = [];
  for (const g of groups) {
    for (const p of g.paths) {
      const rel = normalize(p);
      if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
        throw new ModelFileError(
          'loadTfjs',
          jsonPath,
          `the weight shard path ${JSON.stringify(p)} leaves the model's directory`,
          'keep the shards next to model.json',
        );
      }
      parts.push(readModelFile(join(dir, rel), 'loadTfjs'));
    }
  }
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let pos = 0;
  for (const b of parts) {
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

function readJson(path: string): unknown {
  const text = new TextDecoder().decode(readModelFile(path, 'loadTfjs'));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(
      'loadTfjs',
      path,
      `not valid JSON (${(err as Error).message})`,
      'point at the model.json of a TF.js model',
    );
  }
}

/** Load a TF.js layers or graph model from its `model.json` and the shards next to it (see `importTfjs`). */
export function loadTfjs(modelJsonPath: string): Graph {
  const json = readJson(modelJsonPath);
  const data = readTfjsShards(modelJsonPath, tfjsWeightGroups(json, modelJsonPath));
  return importTfjs(json, data, { file: modelJsonPath });
}

/** Read a bare TF.js weights manifest (e.g. face-api's `*-weights_manifest.json`) and its shards. */
export function loadTfjsWeights(manifestPath: string): Map<string, Tensor> {
  const groups = parseWeightsManifest(readJson(manifestPath), manifestPath);
  return decodeTfjsWeights(groups, readTfjsShards(manifestPath, groups), manifestPath);
}

/**
 * Load `@vladmandic/face-api`'s face recognition network from its
 * `face_recognition_model-weights_manifest.json` (see `faceRecognitionNetFromTfjs`).
 */
export function loadFaceRecognitionNet(manifestPath: string): Graph {
  return faceRecognitionNetFromTfjs(loadTfjsWeights(manifestPath), { file: manifestPath });
}
