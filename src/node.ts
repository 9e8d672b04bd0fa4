/**
 * Stride's Node entry point (what `import * as st from 'stride'` resolves to in Node): the whole
 * isomorphic core plus the Node-only parts — dataset readers (files, gzip, image decoding) and
 * model files (atomic save/load, ONNX and TF.js readers).
 */
export * from './index.js';
export * from './node-data.js';
export * from './node-io.js';
