import type { NetId } from './train-nets.js';

/** A greyscale or RGB image in [0, 1], [C, H, W] row-major, as posted between the worker and the page. */
export interface ImagePayload {
  data: Float32Array;
  shape: [number, number, number];
}

/** Settings of a training run. */
export interface TrainSettings {
  batchSize: number;
  learningRate: number;
  /** Evaluate on the whole test subset every this many steps. */
  evalEvery: number;
  /** Stop after this many steps (0: train until paused). */
  maxSteps: number;
}

/** Messages from the page to the training worker. */
export type ToWorker =
  | { type: 'load'; dataUrl: string }
  | { type: 'start'; settings: TrainSettings }
  | { type: 'pause' }
  /** A fresh model of network `net` (its data loaded or generated first), weights from `seed`. */
  | { type: 'reset'; seed: number; net: NetId };

/** Messages from the training worker to the page. */
export type FromWorker =
  /** Sent after 'load' and after every 'reset': the network and its data are ready to train. */
  | { type: 'ready'; net: NetId; backend: string; trainCount: number; testCount: number }
  | { type: 'step'; step: number; epoch: number; loss: number; accuracy: number; imagesPerSecond: number }
  | {
      type: 'eval';
      net: NetId;
      step: number;
      epoch: number;
      testLoss: number;
      testAccuracy: number;
      filters: ImagePayload;
      activations: { layer: string; grid: ImagePayload }[];
      probe: ImagePayload;
      /** The model as one Stride .safetensors file (st.encodeModelFile). */
      model: Uint8Array;
    }
  | { type: 'paused'; step: number }
  | { type: 'error'; message: string };
