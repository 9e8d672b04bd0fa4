import type { Padding2d, Pair } from '../ops/geometry.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json-value.js';
import { ModelFileError } from './model-file-error.js';

/**
 * Typed, validating access to one layer's configuration as read from a model file. The file is
 * untrusted: every field is checked for its type before a layer sees it, and a bad field is
 * refused with a {@link ModelFileError} naming the layer path and the field.
 */
export class ConfigReader {
  /**
   * @param where the layer's dotted path in the model (for messages), `''` for the root
   * @param obj the layer's config object
   * @param file the file the config came from (for messages)
   */
  constructor(
    readonly where: string,
    readonly obj: JsonObject,
    readonly file?: string,
  ) {}

  /** Wrap `v`, which must be a JSON object. */
  static of(where: string, v: unknown, file?: string): ConfigReader {
    if (!isJsonObject(v)) {
      throw new ModelFileError(
        'load',
        file,
        `the config of layer '${where || '(root)'}' is ${Array.isArray(v) ? 'an array' : typeof v}, expected an object`,
        'the architecture JSON is corrupt or was written by an incompatible version',
      );
    }
    return new ConfigReader(where, v, file);
  }

  /** Throw a {@link ModelFileError} about field `key`. */
  fail(key: string, expected: string): never {
    const got = Object.hasOwn(this.obj, key) ? JSON.stringify(this.obj[key]) : 'nothing';
    throw new ModelFileError(
      'load',
      this.file,
      `layer '${this.where || '(root)'}': field '${key}' must be ${expected}, got ${(got ?? 'undefined').slice(0, 80)}`,
      'the architecture JSON is corrupt or was written by an incompatible version',
    );
  }

  /** Whether the field is present (and not null). */
  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== null;
  }

  /** The raw value of a field (undefined when absent). */
  raw(key: string): JsonValue | undefined {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  /** A finite number; `def` when absent. */
  number(key: string, def?: number): number {
    if (!this.has(key) && def !== undefined) return def;
    const v = this.raw(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, 'a finite number');
    return v;
  }

  /** A finite number, or undefined when absent or null. */
  optionalNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  /** A safe integer >= `min`; `def` when absent. */
  int(key: string, def?: number, min = Number.MIN_SAFE_INTEGER): number {
    if (!this.has(key) && def !== undefined) return def;
    const v = this.raw(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.fail(key, `an integer >= ${min}`);
    return v;
  }

  /** An integer or undefined when absent or null. */
  optionalInt(key: string, min?: number): number | undefined {
    return this.has(key) ? this.int(key, undefined, min) : undefined;
  }

  /** A boolean; `def` when absent. */
  bool(key: string, def?: boolean): boolean {
    if (!this.has(key) && def !== undefined) return def;
    const v = this.raw(key);
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  /** A string, optionally one of `allowed`; `def` when absent. */
  string<S extends string>(key: string, allowed?: readonly S[], def?: S): S {
    if (!this.has(key) && def !== undefined) return def;
    const v = this.raw(key);
    if (typeof v !== 'string' || (allowed !== undefined && !allowed.includes(v as S))) {
      this.fail(key, allowed ? `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` : 'a string');
    }
    return v as S;
  }

  /** A list of safe integers (each >= `min`). */
  intList(key: string, min = Number.MIN_SAFE_INTEGER): number[] {
    const v = this.raw(key);
    if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= min)) {
      this.fail(key, `a list of integers >= ${min}`);
    }
    return v as number[];
  }

  /** A list of strings. */
  stringList(key: string): string[] {
    const v = this.raw(key);
    if (!Array.isArray(v) || !v.every((d) => typeof d === 'string')) this.fail(key, 'a list of strings');
    return v as string[];
  }

  /** A number or [h, w] of integers >= `min`; `def` when absent. */
  pair(key: string, def?: Pair, min = 1): [number, number] {
    if (!this.has(key) && def !== undefined) return typeof def === 'number' ? [def, def] : [def[0], def[1]];
    const v = this.raw(key);
    const ok = (d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= min;
    if (ok(v)) return [v as number, v as number];
    if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0] as number, v[1] as number];
    this.fail(key, `an integer >= ${min} or a pair of them`);
  }

  /** Padding as the window layers take it: a number, [h, w], [t, b, l, r], 'same' or 'valid'. */
  padding(key: string, def: Padding2d = 0): Padding2d {
    if (!this.has(key)) return def;
    const v = this.raw(key);
    if (v === 'same' || v === 'valid') return v;
    const ok = (d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
    if (ok(v)) return v as number;
    if (Array.isArray(v) && (v.length === 2 || v.length === 4) && v.every(ok)) {
      return v.length === 2
        ? [v[0] as number, v[1] as number]
        : [v[0] as number, v[1] as number, v[2] as number, v[3] as number];
    }
    this.fail(key, "a non-negative integer, [h, w], [top, bottom, left, right], 'same' or 'valid'");
  }

  /** A nested config object. */
  child(key: string): ConfigReader {
    const v = this.raw(key);
    if (!isJsonObject(v)) this.fail(key, 'an object');
    return new ConfigReader(this.where, v, this.file);
  }

  /** A list (elements unchecked). */
  list(key: string): JsonValue[] {
    const v = this.raw(key);
    if (!Array.isArray(v)) this.fail(key, 'a list');
    return v;
  }
}
