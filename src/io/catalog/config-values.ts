/**
 * Conversions between layer options and their JSON in the saved format, shared by the saved forms
 * in io/builtin-layers.ts and the catalog rows (io/catalog/).
 */
import type { AdaptiveOutputSize } from '../../ops/adaptive-pool.js';
import { FUSED_ACTIVATIONS, type FusedActivation } from '../../ops/fused-activation.js';
import type { Padding2d } from '../../ops/geometry.js';
import type { ConfigReader } from '../config-reader.js';
import type { JsonObject, JsonValue } from '../json-value.js';

/** A layer option as JSON: readonly arrays copied, undefined dropped by the caller. */
export function json(v: number | string | boolean | null | readonly (number | null)[]): JsonValue {
  return Array.isArray(v) ? [...(v as (number | null)[])] : (v as JsonValue);
}

/** A padding option as JSON (a number, a name, or a list of sides). */
export function paddingJson(p: Padding2d): JsonValue {
  return typeof p === 'string' || typeof p === 'number' ? p : [...p];
}

/** Drop undefined fields (JSON has no undefined). */
export function defined(o: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** An adaptive pooling's `outputSize`: a positive integer, or [h, w] of positive integers or nulls. */
export function adaptiveSize(c: ConfigReader): AdaptiveOutputSize {
  const v = c.raw('outputSize');
  const ok = (d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 1;
  if (ok(v)) return v as number;
  if (Array.isArray(v) && v.length === 2 && v.every((d) => d === null || ok(d))) {
    return [v[0] as number | null, v[1] as number | null];
  }
  return c.fail('outputSize', 'a positive integer or [h, w] of positive integers or nulls');
}

/** A layer's optional fused `activation` field (absent: none). */
export function fusedActivation(c: ConfigReader): FusedActivation | null {
  return c.has('activation') ? c.string('activation', FUSED_ACTIVATIONS) : null;
}

/** The `activation` field of a layer's config: present only when set, so older files stay identical. */
export function activationJson(a: FusedActivation | null): { activation?: string } {
  return a ? { activation: a } : {};
}

/** The values of a bias of `n` outputs when the config's `bias` is on (the default), else 0. */
export function biasSize(c: ConfigReader, n: number): number {
  return c.bool('bias', true) ? n : 0;
}
