import type { Detector } from '../detection/detector.js';

/**
 * An object detector the inference server holds: a {@link Detector} (its own image fitting, network
 * and box decoding), answered on `/v2/models/{name}/detect` only. Its network has several outputs
 * that only mean something after the detector's decode, so it has no `/infer`.
 */
export interface ServedDetector {
  /** The name clients use in `/v2/models/{name}`. */
  readonly name: string;
  /** The version (`'1'` unless given). */
  readonly version: string;
  /** Where it came from, for logs only (never sent to clients). */
  readonly source: string;
  /**
   * The detector; for one served by name, a `lazyDetector` whose network is built only if its
   * `detect` is called (the server detects with its own copy, in a worker thread or built at start).
   */
  readonly detector: Detector;
  /**
   * The `loadDetector` name it was built by, when it was ('centernet', 'tiny-face', 'ssd-face'):
   * the server then builds its own copy in a worker thread and detects there.
   */
  readonly pretrained?: string;
}

/** The protocol's model metadata of a detector: an encoded image in, a JSON list of boxes out. */
export function detectorMetadata(d: ServedDetector, versions: readonly string[]): Record<string, unknown> {
  return {
    name: d.name,
    versions,
    platform: 'stride',
    inputs: [{ name: 'image', datatype: 'BYTES', shape: [1] }],
    outputs: [{ name: 'detections', datatype: 'BYTES', shape: [-1] }],
  };
}
