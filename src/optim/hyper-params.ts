import { ValueError } from '../errors.js';

/**
 * A value an optimizer or schedule option may take. Every option is one of these, so options
 * round-trip through JSON (`stateDict()` → `JSON.stringify` → `loadStateDict()`).
 */
export type HyperParamValue = number | boolean | string | number[];

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

function isHyperParamValue(v: unknown): v is HyperParamValue {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || isNumberArray(v);
}

/**
 * Copy the JSON-serializable options of `obj` (numbers, booleans, strings, number arrays) into a
 * plain record; keys listed in `skip` and values of other types (tensors, functions) are left out.
 */
export function serializeHyperParams(
  obj: object,
  skip: readonly string[] = [],
): Record<string, HyperParamValue> {
  const out: Record<string, HyperParamValue> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (skip.includes(k) || !isHyperParamValue(v)) continue;
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return 'null';
  return typeof v;
}

/**
 * A copy of `current` whose options are replaced by those in `saved`, after checking that `saved`
 * holds every option of `current` with the same type (and, for arrays, the same length). Options
 * listed in `optional` may be absent from `saved` or `current`; when present they must be numbers.
 * Values that are not options (tensors) are kept by reference. Throws a ValueError naming `op` and
 * the offending key otherwise; `current` is never modified.
 */
export function restoreHyperParams<T extends object>(
  op: string,
  what: string,
  current: T,
  saved: unknown,
  optional: readonly string[] = [],
): T {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) {
    throw new ValueError(op, `${what} must be an object of options, got ${describe(saved)}`);
  }
  const out = { ...current };
  for (const [key, now] of Object.entries(current)) {
    if (!isHyperParamValue(now) || optional.includes(key)) continue;
    const v: unknown = Reflect.get(saved, key);
    const sameType = Array.isArray(now)
      ? isNumberArray(v) && v.length === now.length
      : typeof v === typeof now;
    if (!sameType) {
      throw new ValueError(
        op,
        `${what}: option '${key}' should be ${describe(now)} like ${JSON.stringify(now)}, got ${describe(v)}` +
          '. Fix: load a state dict saved from the same kind of object with the same configuration',
      );
    }
    Reflect.set(out, key, Array.isArray(v) ? [...v] : v);
  }
  for (const key of optional) {
    const v: unknown = Reflect.get(saved, key);
    if (v === undefined) {
      Reflect.deleteProperty(out, key);
    } else if (typeof v === 'number') {
      Reflect.set(out, key, v);
    } else {
      throw new ValueError(op, `${what}: option '${key}' should be a number, got ${describe(v)}`);
    }
  }
  return out;
}
