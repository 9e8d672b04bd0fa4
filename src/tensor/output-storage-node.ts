/**
 * Under Node, large op outputs that their kernels overwrite entirely come from
 * `Buffer.allocUnsafeSlow` (malloc, no zero fill) instead of a zero-filled typed array.
 */
import { setUnzeroedAllocator } from './output-storage.js';

setUnzeroedAllocator((bytes) => {
  const b = Buffer.allocUnsafeSlow(bytes);
  // allocUnsafeSlow gives the Buffer its own ArrayBuffer (not a slice of Node's shared pool).
  return b.byteOffset === 0 && b.buffer.byteLength === bytes
    ? (b.buffer as ArrayBuffer)
    : new ArrayBuffer(bytes);
});
