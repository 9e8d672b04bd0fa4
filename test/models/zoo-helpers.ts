import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import type { Module, Tensor } from '../../src/index.js';
import { tensor } from '../../src/index.js';
import { loadFixture } from '../helpers/fixtures.js';

/** What scripts/fixtures/gen_models.py records about one torchvision model. */
export interface TorchvisionFacts {
  params: number;
  numKeys: number;
  keysSha256: string;
  macs: number;
  keys?: string[];
  leafShapes?: [string, number[]][];
  paramsWithoutAux?: number;
}

/** An end-to-end forward check: pattern-filled weights, pattern input, torchvision's logits. */
export interface ParityCase {
  options: Record<string, unknown>;
  inputShape: number[];
  logits: number[];
}

interface ModelsFixture {
  cases: {
    models: Record<string, TorchvisionFacts>;
    resnetV1Macs: Record<string, number>;
    parity: Record<string, ParityCase>;
  };
}

let cached: ModelsFixture['cases'] | null = null;

/** test/fixtures/models.json (torchvision 0.14 facts). */
export function torchvisionFacts(): ModelsFixture['cases'] {
  cached ??= loadFixture<ModelsFixture>('models').cases;
  return cached;
}

/** State-dict keys with shapes, `key:d0xd1x...`, in order (the fixture's format). */
export function keyLines(model: Module): string[] {
  return Object.entries(model.stateDict()).map(([k, t]) => `${k}:${t.shape.join('x')}`);
}

/** Assert that a model's state-dict keys and shapes equal torchvision's, in order. */
export function assertTorchvisionKeys(model: Module, facts: TorchvisionFacts): void {
  const lines = keyLines(model);
  if (facts.keys) assert.deepEqual(lines, facts.keys);
  assert.equal(lines.length, facts.numKeys, 'number of state-dict entries');
  assert.equal(
    createHash('sha256').update(lines.join('\n')).digest('hex'),
    facts.keysSha256,
    'sha256 of keys:shapes',
  );
}

function keySeed(key: string): number {
  let s = 0;
  for (let i = 0; i < key.length; i++) s += (i + 1) * key.charCodeAt(i);
  return s % 1009;
}

/**
 * Fill every state-dict tensor with the deterministic pattern of gen_models.py's `fill`: conv and
 * linear weights sin(...)·√(3/fanIn), 1-D weights 1 + 0.1·sin, running_var 1 + 0.25·(sin + 1),
 * biases and running means 0.1·sin.
 */
export function fillPattern(model: Module): void {
  for (const [key, t] of Object.entries(model.stateDict())) {
    if (key.endsWith('num_batches_tracked')) continue;
    const n = t.size;
    const last = key.slice(key.lastIndexOf('.') + 1);
    const [mul, add] =
      last === 'weight' && t.ndim >= 2
        ? [Math.sqrt(3 / (n / t.shape[0]!)), 0]
        : last === 'weight'
          ? [0.1, 1]
          : last === 'running_var'
            ? [0.25, 1.25]
            : [0.1, 0];
    fillSine(t.data, 0.37, 0.11 * keySeed(key) + 1, mul, add);
  }
}

/**
 * d[i] = add + mul·sin(step·i + phase), by the angle-addition recurrence, re-anchored with Math.sin every
 * 256 terms (Math.sin of large arguments is slow: VGG's 133M weights would take 13 s). The drift
 * within a run is ~1e-14, far below float32 resolution.
 */
function fillSine(
  d: Float32Array | Float64Array,
  step: number,
  phase: number,
  mul: number,
  add: number,
): void {
  const cs = Math.cos(step);
  const sn = Math.sin(step);
  for (let start = 0; start < d.length; start += 256) {
    let s = Math.sin(step * start + phase);
    let c = Math.cos(step * start + phase);
    const end = Math.min(d.length, start + 256);
    for (let i = start; i < end; i++) {
      d[i] = add + mul * s;
      const s2 = s * cs + c * sn;
      c = c * cs - s * sn;
      s = s2;
    }
  }
}

/** The pattern input of gen_models.py: sin(0.05·i + 0.3), in row-major order. */
export function patternInput(shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(0.05 * i + 0.3);
  return tensor(data, shape);
}

/**
 * A fast deterministic fill (no trigonometry) for forward tests of the largest models, whose
 * values only need to be non-trivial: weights in ±√(3/fanIn), 1-D weights near 1, biases small.
 */
export function quickFill(model: Module): void {
  for (const [key, t] of Object.entries(model.stateDict())) {
    if (key.endsWith('num_batches_tracked')) continue;
    const last = key.slice(key.lastIndexOf('.') + 1);
    const d = t.data;
    const n = t.size;
    const amp = last === 'weight' && t.ndim >= 2 ? Math.sqrt(3 / (n / t.shape[0]!)) : 0.1;
    const base = last === 'running_var' || (last === 'weight' && t.ndim === 1) ? 1 : 0;
    for (let i = 0; i < n; i++) d[i] = base + amp * ((((i * 2654435761) >>> 0) % 2001) / 1000 - 1);
  }
}

/** Root mean square of a tensor's values (the standard deviation of a zero-mean initialization). */
export function rms(t: Tensor): number {
  let s = 0;
  for (const v of t.data) s += v * v;
  return Math.sqrt(s / t.size);
}

/** max |x| of a tensor's values. */
export function maxAbs(t: Tensor): number {
  let m = 0;
  for (const v of t.data) m = Math.max(m, Math.abs(v));
  return m;
}

/**
 * One test per model: its parameter count equals torchvision's published number (also re-measured
 * in the fixture) and its state-dict keys and shapes are torchvision's.
 */
export function itMatchesTorchvision(
  counts: readonly [string, (o: { init: boolean }) => Module, number][],
): void {
  const facts = torchvisionFacts();
  for (const [name, build, params] of counts) {
    it(`${name}: ${params.toLocaleString('en-US')} parameters and torchvision's state-dict keys`, () => {
      const m = build({ init: false });
      assert.equal(m.numParameters(), params);
      assert.equal(facts.models[name]!.params, params);
      assertTorchvisionKeys(m, facts.models[name]!);
    });
  }
}
