/**
 * Stride's Node.js entry point: everything in the portable core (`./index.js`), the Node-only
 * file readers and writers (`./node-io.js`, `./node-data.js`), and the native CPU backend, which
 * becomes the active backend when its addon is built. `import 'stride'` resolves here under Node;
 * browsers and bundlers get the pure core.
 */
import { registerNativeBackend } from './backend/native/register-native.js';
import './worker/module-async-node.js';

export * from './index.js';
export * from './node-io.js';
export * from './node-data.js';
export * from './node-image.js';
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
export { CSVLogger, type CSVLoggerOptions } from './train/csv-logger.js';
export {
  getNumThreads,
  nativeAvailable,
  nativeIsa,
  setNativeIsa,
  setNumThreads,
} from './backend/native/register-native.js';

registerNativeBackend();
// Transfer learning: pretrained backbones from npm packages (st.pretrained.list/load/blocks) and cached bottleneck features.
export * as pretrained from './pretrained/pretrained-node.js';
export type { PretrainedInfo, PretrainedLoadOptions } from './pretrained/pretrained-node.js';
export { cachedFeatures, type CachedFeaturesOptions } from './pretrained/bottleneck-cache-node.js';
