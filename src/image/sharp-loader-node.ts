// Node-only: loads the optional image codec `sharp` once, with a clear error when it is missing.
import { ValueError } from '../errors.js';

/** sharp's factory function. */
export type SharpFactory = typeof import('sharp').default;

let cached: Promise<SharpFactory> | undefined;

/** The `sharp` module, or a `ValueError` for `op` saying how to install it. */
export function loadSharp(op: string): Promise<SharpFactory> {
  cached ??= import('sharp').then(
    (m) => m.default,
    (e: unknown) => {
      cached = undefined;
      throw new ValueError(
        op,
        `the image codec sharp could not be loaded (${(e as Error).message}). Fix: run \`npm install sharp\``,
      );
    },
  );
  return cached;
}
