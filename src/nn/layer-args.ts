import { ValueError } from '../errors.js';

/** Throw a ValueError unless `v` is an integer >= `min` (default 1). Returns `v`. */
export function checkInt(layer: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ValueError(
      layer,
      `${name} must be an integer >= ${min}, got ${JSON.stringify(v)}. Fix: pass a whole number such as ${Math.max(min, 1)}`,
    );
  }
  return v;
}

/** Throw a ValueError unless `v` is a finite number in [lo, hi] (or [lo, hi) when `openHigh`). Returns `v`. */
export function checkRange(
  layer: string,
  name: string,
  v: unknown,
  lo: number,
  hi: number,
  openHigh = false,
): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= lo && (openHigh ? v < hi : v <= hi);
  if (!ok) {
    throw new ValueError(
      layer,
      `${name} must be a number in [${lo}, ${hi}${openHigh ? ')' : ']'}, got ${JSON.stringify(v)}`,
    );
  }
  return v as number;
}

/** Render an [h, w] option as `[h, w]` for `extraRepr`. */
export function showPair(p: readonly [number, number]): string {
  return `[${p[0]}, ${p[1]}]`;
}
