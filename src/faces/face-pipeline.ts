/**
 * The face pipeline of face-api, run by Stride: detect (SSD MobileNetV1) -> 68 landmarks ->
 * align -> 128-D descriptor (ResNet-34-like) -> compare by Euclidean distance. Each step
 * prepares its input exactly as face-api does, so the numbers match face-api's own tfjs code.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import type { SsdFaceDetectorNet } from '../models/face-detector-ssd.js';
import { SSD_FACE_INPUT_SIZE } from '../models/face-detector-ssd.js';
import { FACE_LANDMARK_INPUT_SIZE } from '../models/face-landmark-net.js';
import type { Graph } from '../nn/graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { cropChw, squareInput, toChw255, type ChwImage } from './face-image.js';
import { decodeSsdFaces, type FaceBox, type SsdDecodeOptions } from './ssd-decode.js';

/** The input side of the recognition network. */
const RECOGNITION_INPUT_SIZE = 150;
/** face-api's mean RGB, subtracted before the landmark network (then / 255). */
const MEAN_RGB = [122.782, 117.001, 104.298] as const;
/** Two descriptors closer than this are the same person (face-api's and dlib's usual threshold). */
export const FACE_MATCH_THRESHOLD = 0.6;

/** A rectangle in image pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A face with its landmarks, aligned box and descriptor. */
export interface DescribedFace extends FaceBox {
  /** The 68 landmark points [x, y] in image pixels (iBUG 300-W order: jaw, brows, nose, eyes, mouth). */
  landmarks: [number, number][];
  /** The box the descriptor is computed on, placed from the eye and mouth landmarks (face-api's dlib-style alignment). */
  alignedBox: Rect;
  /** The 128-D face descriptor. */
  descriptor: Float32Array;
}

/** The three networks of the pipeline. */
export interface FaceModels {
  detector: SsdFaceDetectorNet;
  landmarkNet: Graph;
  recognitionNet: Graph;
}

/** face-api's `Box.clipAtImageBorders` (then floored): the integer crop of a box inside the image. */
function clipBox(b: Rect, img: ChwImage): Rect {
  const x = Math.max(b.x, 0);
  const y = Math.max(b.y, 0);
  const width = Math.min(b.x + b.width - x, img.width - x);
  const height = Math.min(b.y + b.height - y, img.height - y);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.floor(width), height: Math.floor(height) };
}

/** The face pipeline over loaded models (see `loadFaceModels` for face-api's weights). */
export class FacePipeline {
  constructor(readonly models: FaceModels) {}

  /** Faces in an RGB image ([3, H, W] or [1, 3, H, W], values in [0, 1]), best first. */
  detect(image: Tensor, options: SsdDecodeOptions = {}): FaceBox[] {
    return this.#detect(toChw255('faces.detect', image), options);
  }

  #detect(img: ChwImage, options: SsdDecodeOptions): FaceBox[] {
    const x = squareInput(img, SSD_FACE_INPUT_SIZE, false);
    const d = x.data;
    for (let i = 0; i < d.length; i++) d[i] = d[i]! / 127.5 - 1;
    const { graph, anchors, anchorsPerCell } = this.models.detector;
    const maps = noGrad(() => graph.forwardAll(x));
    return decodeSsdFaces(maps, anchors, anchorsPerCell, img, SSD_FACE_INPUT_SIZE, options);
  }

  /** The 68 landmarks ([x, y] in image pixels) of the face in `box`. */
  landmarks(image: Tensor, box: Rect): [number, number][] {
    return this.#landmarks(toChw255('faces.landmarks', image), box);
  }

  #landmarks(img: ChwImage, box: Rect): [number, number][] {
    const c = clipBox(box, img);
    if (c.width <= 0 || c.height <= 0)
      throw new ValueError('faces.landmarks', 'the face box lies outside the image');
    const crop = cropChw(img, c.x, c.y, c.width, c.height);
    const size = FACE_LANDMARK_INPUT_SIZE;
    const x = squareInput(crop, size, true);
    const plane = size * size;
    for (let ch = 0; ch < 3; ch++)
      for (let i = 0; i < plane; i++)
        x.data[ch * plane + i] = (x.data[ch * plane + i]! - MEAN_RGB[ch]!) / 255;
    const out = noGrad(() => this.models.landmarkNet.forward(x)).data;
    // face-api's postProcess: undo the centred padding, relative to the crop, then crop pixels.
    const scale = size / Math.max(c.width, c.height);
    const w = c.width * scale;
    const h = c.height * scale;
    const padX = w < h ? Math.abs(w - h) / 2 : 0;
    const padY = h < w ? Math.abs(w - h) / 2 : 0;
    const points: [number, number][] = [];
    for (let i = 0; i < 68; i++) {
      const rx = (out[2 * i]! * size - padX) / w;
      const ry = (out[2 * i + 1]! * size - padY) / h;
      // Crop pixels, shifted by the (unclipped) detection box as face-api does.
      points.push([rx * c.width + box.x, ry * c.height + box.y]);
    }
    return points;
  }

  /**
   * face-api's dlib-style alignment of the descriptor crop (`landmarks.align(null, { useDlibAlignment:
   * true })`): a square of side ⌊mean eye-to-mouth distance / 0.45⌋ placed so that the centroid of
   * the eye and mouth centres sits at 50% across and 43% down. `cropSize` is the landmark crop's
   * size (face-api caps the side at crop size + offset).
   */
  alignedBox(
    landmarks: readonly (readonly [number, number])[],
    cropSize: { width: number; height: number },
  ): Rect {
    const centre = (from: number, to: number): [number, number] => {
      let x = 0;
      let y = 0;
      for (let i = from; i < to; i++) {
        x += landmarks[i]![0];
        y += landmarks[i]![1];
      }
      return [x / (to - from), y / (to - from)];
    };
    const eyeL = centre(36, 42);
    const eyeR = centre(42, 48);
    const mouth = centre(48, 68);
    const toMouth = (p: [number, number]) => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
    const size = Math.floor((toMouth(eyeL) + toMouth(eyeR)) / 2 / 0.45);
    const refX = (eyeL[0] + eyeR[0] + mouth[0]) / 3;
    const refY = (eyeL[1] + eyeR[1] + mouth[1]) / 3;
    const x = Math.floor(Math.max(0, refX - 0.5 * size));
    const y = Math.floor(Math.max(0, refY - 0.43 * size));
    return { x, y, width: Math.min(size, cropSize.width + x), height: Math.min(size, cropSize.height + y) };
  }

  /** The 128-D descriptor of the face in `box` (an aligned box, see {@link alignedBox}). */
  descriptor(image: Tensor, box: Rect): Float32Array {
    return this.#descriptor(toChw255('faces.descriptor', image), box);
  }

  #descriptor(img: ChwImage, box: Rect): Float32Array {
    const c = clipBox(box, img);
    if (c.width <= 0 || c.height <= 0)
      throw new ValueError('faces.descriptor', 'the face box lies outside the image');
    const x = squareInput(cropChw(img, c.x, c.y, c.width, c.height), RECOGNITION_INPUT_SIZE, true);
    return Float32Array.from(noGrad(() => this.models.recognitionNet.forward(x)).data);
  }

  /** Detect every face, then its landmarks, aligned box and descriptor. */
  describe(image: Tensor, options: SsdDecodeOptions = {}): DescribedFace[] {
    const img = toChw255('faces.describe', image);
    return this.#detect(img, options).map((face) => {
      const landmarks = this.#landmarks(img, face);
      const alignedBox = this.alignedBox(landmarks, clipBox(face, img));
      return { ...face, landmarks, alignedBox, descriptor: this.#descriptor(img, alignedBox) };
    });
  }
}

/** Euclidean distance between two face descriptors. */
export function faceDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new ValueError(
      'faces.distance',
      `descriptors differ in length (${a.length} and ${b.length}); both must come from the same network`,
    );
  }
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
