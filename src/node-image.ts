/**
 * Stride's Node-only image files: `readImage` decodes JPEG/PNG/WebP files and bytes with `sharp`,
 * `writeImage` encodes PNG/JPEG/WebP atomically. Importing this installs `readImage` as the
 * decoder `st.preprocess` uses for paths and bytes. The isomorphic conversions (`imageToTensor`,
 * `tensorToImage`, `preprocess` of tensors) are exported from the main entry.
 */
import { setImageReader } from './image/image-reader.js';
import { readImage } from './image/read-image-node.js';

export { readImage } from './image/read-image-node.js';
export { writeImage, type WriteImageOptions } from './image/write-image-node.js';

setImageReader(readImage);
