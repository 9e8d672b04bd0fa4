import { faceRecognitionNet } from '../../models/face-recognition-net.js';
import { weightGetter } from '../../models/tfjs-weight-layers.js';
import type { Graph } from '../../nn/graph.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * The face recognition network of `@vladmandic/face-api` (see `faceRecognitionNet`) from its TF.js
 * weights (`face_recognition_model-weights_manifest.json` and its shard, decoded with
 * `decodeTfjsWeights`). A missing weight is a {@link ModelFileError} naming it.
 */
export function faceRecognitionNetFromTfjs(
  weights: ReadonlyMap<string, Tensor>,
  opts: { file?: string } = {},
): Graph {
  return faceRecognitionNet(weightGetter(weights, opts.file, 'face_recognition_model-weights_manifest.json'));
}
