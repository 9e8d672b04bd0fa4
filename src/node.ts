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

registerNativeBackend();
