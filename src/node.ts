/**
 * Stride's Node.js entry point: everything in the portable core (`./index.js`), the Node-only
 * file readers and writers (`./node-io.js`, `./node-data.js`), and the native CPU backend, which
 * becomes the active backend when its addon is built. `import 'stride'` resolves here under Node;
 * browsers and bundlers get the pure core.
 */
import { registerNativeBackend } from './backend/native/register-native.js';
import './worker/module-async-node.js';
export type { ForwardAsyncOptions } from './worker/module-async-node.js';
import './backend/wasm/read-wasm-file-node.js';
import './tensor/output-storage-node.js';

export * from './index.js';
export * from './node-io.js';
export * from './node-data.js';
export * from './node-image.js';
// ---- detection (issue 13) ----
export { savePrCurvePng } from './detection/pr-curve-png-node.js';
export {
  loadTinyFaceDetector,
  loadCenterNet,
  loadSsdMobilenetFace,
  loadDetector,
  DETECTORS,
} from './detection/load-detectors-node.js';
export { detectImage, type Detection } from './detection/detect-image-node.js';
export { drawDetections, detectionsSvg } from './detection/draw-detections-node.js';
export { loadMnistDetection, type MnistDetectionOptions } from './data/mnist-detection.js';
// ---- end detection ----
export { loadNsfwjsBackbone, type StyleBackbone } from './style/nsfwjs-backbone-node.js';
export * as faces from './faces/faces-node.js';
export { loadFacePipeline, faceApiModelDir } from './faces/faces-node.js';
export {
  FacePipeline,
  faceDistance,
  FACE_MATCH_THRESHOLD,
  type DescribedFace,
  type FaceModels,
  type Rect,
} from './faces/face-pipeline.js';
export type { FaceBox, SsdDecodeOptions } from './faces/ssd-decode.js';
// st.viz with PNG and chart files (replaces the portable st.viz of ./index.js).
export * as viz from './viz/node.js';
export { CSVLogger, type CSVLoggerOptions } from './train/csv-logger.js';
export {
  getNumThreads,
  nativeAvailable,
  nativeIsa,
  setNativeIsa,
  setNumThreads,
} from './backend/native/register-native.js';

// Inference server (stride serve, stride batch/worker).
export { serve, type InferenceServer } from './serve/server-node.js';
export { SERVE_DEFAULTS, type ServeOptions } from './serve/serve-options.js';
export type { ModelSpec } from './serve/model-repository-node.js';
export type { ServedModel } from './serve/served-model.js';
export type { ImagePreprocessor } from './serve/image-input-node.js';
export type { ClassScore } from './serve/top-classes.js';
export { WorkerExitError } from './worker/worker-exit-error.js'; // a worker thread (forwardAsync, stride serve) died
export {
  submitImages,
  batchResults,
  DEFAULT_QUEUE as DEFAULT_BATCH_QUEUE,
  BATCH_DEFAULTS,
  type SubmitOptions,
  type ResultsOptions,
  type BatchJobData,
  type BatchJobResult,
  type BatchJobStatus,
} from './serve/batch-queue-node.js';
export { startBatchWorker, type BatchWorker, type BatchWorkerOptions } from './serve/batch-worker-node.js';

registerNativeBackend();
// Transfer learning: pretrained backbones from npm packages (st.pretrained.list/load/blocks) and cached bottleneck features.
export * as pretrained from './pretrained/pretrained-node.js';
export type { PretrainedInfo, PretrainedLoadOptions } from './pretrained/pretrained-node.js';
export { cachedFeatures, type CachedFeaturesOptions } from './pretrained/bottleneck-cache-node.js';
