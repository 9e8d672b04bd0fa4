import type { Detection } from '../detection/detect-image-node.js';
import type { DetectOptions } from '../detection/detector.js';
import type { TransferredError } from './transferred-error.js';

/** What a detector worker thread starts with: which detector to build and on which backend. */
export interface DetectWorkerData {
  /** A name `loadDetector` knows ('centernet', 'tiny-face', 'ssd-face'). */
  readonly detector: string;
  /** The main thread's active backend (`st.backend()`). */
  readonly backend: string;
}

/** One photo to run `st.detectImage` on. */
export interface DetectRequest {
  /** Matches the reply to its promise. */
  readonly id: number;
  /** The encoded image (JPEG, PNG, WebP), a copy the worker owns. */
  readonly image: Uint8Array;
  readonly opts: DetectOptions;
}

/** What a detector worker sends back: readiness once built, then one reply per request. */
export type DetectReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'init-failed'; readonly error: TransferredError }
  | {
      readonly kind: 'result';
      readonly id: number;
      readonly width: number;
      readonly height: number;
      readonly detections: Detection[];
    }
  | { readonly kind: 'error'; readonly id: number; readonly error: TransferredError };
