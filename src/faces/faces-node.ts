// Node-only: face-api's three networks loaded from its `model/` folder, and the `st.faces` API.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ValueError } from '../errors.js';
import { loadFaceRecognitionNet, loadTfjsWeights } from '../io/tfjs/load-tfjs-node.js';
import { ssdFaceDetector } from '../models/face-detector-ssd.js';
import { faceLandmarkNet } from '../models/face-landmark-net.js';
import { readImage } from '../image/read-image-node.js';
import type { Tensor } from '../tensor/tensor.js';
import { FACE_MATCH_THRESHOLD, FacePipeline, faceDistance, type DescribedFace } from './face-pipeline.js';
import type { FaceBox, SsdDecodeOptions } from './ssd-decode.js';

/** The `model/` folder of the installed `@vladmandic/face-api`. */
export function faceApiModelDir(): string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@vladmandic/face-api');
  } catch {
    throw new ValueError(
      'faces',
      'the npm package @vladmandic/face-api (which ships the face models) is not installed. Fix: npm install @vladmandic/face-api',
    );
  }
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'model', 'ssd_mobilenetv1_model-weights_manifest.json'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new ValueError(
        'faces',
        `no model/ folder found above ${entry}. Fix: reinstall @vladmandic/face-api`,
      );
    dir = up;
  }
  return join(dir, 'model');
}

/** Load face-api's detector, landmark and recognition networks (from `dir`, default its package) into Stride. */
export function loadFacePipeline(dir = faceApiModelDir()): FacePipeline {
  const manifest = (name: string) => join(dir, `${name}-weights_manifest.json`);
  const file = manifest('ssd_mobilenetv1_model');
  return new FacePipeline({
    detector: ssdFaceDetector(loadTfjsWeights(file), { file }),
    landmarkNet: faceLandmarkNet(loadTfjsWeights(manifest('face_landmark_68_model')), {
      file: manifest('face_landmark_68_model'),
    }),
    recognitionNet: loadFaceRecognitionNet(manifest('face_recognition_model')),
  });
}

let shared: FacePipeline | null = null;
const pipeline = (): FacePipeline => (shared ??= loadFacePipeline());
const asImage = async (image: Tensor | string): Promise<Tensor> =>
  typeof image === 'string' ? readImage(image) : image;

/** Faces in an image (a path, or an RGB tensor in [0, 1]), best first: boxes in pixels and scores. */
export async function detect(image: Tensor | string, options: SsdDecodeOptions = {}): Promise<FaceBox[]> {
  return pipeline().detect(await asImage(image), options);
}

/** Every face of an image with its 68 landmarks, aligned box and 128-D descriptor. */
export async function describe(
  image: Tensor | string,
  options: SsdDecodeOptions = {},
): Promise<DescribedFace[]> {
  return pipeline().describe(await asImage(image), options);
}

/** The result of {@link compare}. */
export interface FaceComparison {
  /** Euclidean distance of the two descriptors. */
  distance: number;
  /** distance < threshold. */
  same: boolean;
  threshold: number;
}

/**
 * Compare the most confident face of each image: the distance of their descriptors and whether it
 * is below `threshold` (default 0.6). Throws, naming the image, when one holds no face.
 */
export async function compare(
  a: Tensor | string,
  b: Tensor | string,
  threshold = FACE_MATCH_THRESHOLD,
): Promise<FaceComparison> {
  const first = async (img: Tensor | string, which: string): Promise<DescribedFace> => {
    const faces = await describe(img);
    if (faces.length === 0) {
      throw new ValueError(
        'faces.compare',
        `no face found in ${typeof img === 'string' ? img : `the ${which} image`}. Fix: use a photo with a clearly visible face`,
      );
    }
    return faces[0]!;
  };
  const [fa, fb] = [await first(a, 'first'), await first(b, 'second')];
  const distance = faceDistance(fa.descriptor, fb.descriptor);
  return { distance, same: distance < threshold, threshold };
}

export { faceDistance as distance, FACE_MATCH_THRESHOLD as MATCH_THRESHOLD };
