/**
 * Stride's Node-only model files: `save`/`load` of Stride models (atomic writes), safetensors
 * files, and the file-level ONNX and TF.js readers. The byte-level encoders and decoders they use
 * are isomorphic and exported from the main entry.
 */
export {
  save,
  load,
  loadCheckpoint,
  saveSafetensors,
  loadSafetensors,
  readModelFile,
  MODEL_DIR_FILES,
} from './io/save-load-node.js';
export { writeFileAtomic, writeDirectoryAtomic } from './io/atomic-write-node.js';
