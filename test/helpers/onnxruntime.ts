/**
 * onnxruntime-node for the tests that run exported models in it (a devDependency): the module, or
 * null when it is not installed, and the matching `skip` reason for node:test.
 */
export type Ort = typeof import('onnxruntime-node');

let loaded: Ort | null = null;
try {
  loaded = await import('onnxruntime-node');
} catch {
  loaded = null;
}

/** The onnxruntime-node module, or null when it is not installed. */
export const ort: Ort | null = loaded;

/** `skip` option for tests that need onnxruntime-node: false when it is installed. */
export const skipOrt: string | false = ort
  ? false
  : 'onnxruntime-node is not installed (npm install -D onnxruntime-node)';
