/**
 * Stride's Node-only model files: `save`/`load` of Stride models (atomic writes; `load` also reads
 * ONNX and TF.js files), safetensors files, TF.js models with their weight shards, and `convert`
 * between formats (the `stride convert` command). The byte-level encoders, decoders and importers
 * they use are isomorphic and exported from the main entry.
 */
export {
  save,
  load,
  loadCheckpoint,
  saveSafetensors,
  loadSafetensors,
  MODEL_DIR_FILES,
} from './io/save-load-node.js';
export { readModelFile } from './io/read-file-node.js';
export { writeFileAtomic, writeDirectoryAtomic } from './io/atomic-write-node.js';
export {
  loadTfjs,
  loadTfjsWeights,
  loadFaceRecognitionNet,
  readTfjsShards,
} from './io/tfjs/load-tfjs-node.js';
export {
  convert,
  modelFileFormat,
  type ConvertOptions,
  type ConvertResult,
  type ModelFileFormat,
} from './io/convert-node.js';
export {
  modelOutputFormat,
  MODEL_OUTPUT_EXTENSIONS,
  type ModelOutputFormat,
} from './io/model-output-format-node.js';
