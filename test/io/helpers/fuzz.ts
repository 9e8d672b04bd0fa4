import assert from 'node:assert/strict';
import { Rng } from '../../../src/index.js';

/** What a fuzzed decoder may do: return normally or throw one of the accepted error classes. */
export interface FuzzOptions {
  /** Seed of the mutation generator (tests are reproducible). */
  seed: number;
  /** Mutated copies to try. */
  rounds: number;
  /** Error classes a refusal may use; anything else thrown fails the test. */
  accepted: readonly (abstract new (...args: never[]) => Error)[];
  /** Upper bound on any single decode, in milliseconds (a hang fails the test). */
  maxMs?: number;
}

/** Random truncations, byte flips, and overwrites of 8-byte runs with large integers. */
export function* mutations(valid: Uint8Array, rng: Rng, rounds: number): Generator<[string, Uint8Array]> {
  for (let r = 0; r < rounds; r++) {
    const kind = r % 3;
    if (kind === 0) {
      const len = rng.int(0, valid.length);
      yield [`truncated to ${len} bytes`, valid.slice(0, len)];
    } else if (kind === 1) {
      const out = valid.slice();
      const flips = 1 + rng.int(0, 4);
      for (let i = 0; i < flips; i++) out[rng.int(0, out.length)]! ^= 1 + rng.int(0, 255);
      yield [`${flips} byte flips`, out];
    } else {
      const out = valid.slice();
      const at = rng.int(0, Math.max(1, out.length - 8));
      const v = [0xff, 0x7f, 0x80, 0x01][rng.int(0, 4)]!;
      out.fill(v, at, Math.min(out.length, at + 1 + rng.int(0, 8)));
      yield [`bytes from ${at} overwritten with 0x${v.toString(16)}`, out];
    }
  }
}

/**
 * Feed `decode` many damaged copies of a valid file. Each must be decoded or refused with an
 * accepted error class, quickly; returns how many were refused. `check` may inspect what a
 * successful decode returned (e.g. that its size is bounded by the file's).
 */
export function fuzzDecoder<T>(
  valid: Uint8Array,
  decode: (bytes: Uint8Array) => T,
  opts: FuzzOptions,
  check?: (result: T, bytes: Uint8Array) => void,
): number {
  const rng = new Rng(opts.seed);
  let refused = 0;
  for (const [what, bytes] of mutations(valid, rng, opts.rounds)) {
    const t0 = performance.now();
    try {
      const result = decode(bytes);
      check?.(result, bytes);
    } catch (err) {
      if (!opts.accepted.some((cls) => err instanceof cls)) {
        assert.fail(`${what}: threw ${(err as Error).name}: ${(err as Error).message}`);
      }
      refused++;
    }
    const ms = performance.now() - t0;
    assert.ok(ms < (opts.maxMs ?? 1000), `${what}: took ${ms.toFixed(0)} ms`);
  }
  return refused;
}
