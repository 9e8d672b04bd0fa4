import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import type { Module, Tensor } from '../../src/index.js';
import { noGrad, tensor } from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
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

interface ModelsFixture {
  cases: {
    models: Record<string, TorchvisionFacts>;
    resnetV1Macs: Record<string, number>;
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
 * Fill every state-dict tensor with gen_zoo_parity.py's `hash_fill`: u = hashUnit(i + 7919·keySeed)
 * in [-1, 1]; weights of rank >= 2 u·√(6/fanIn) (He), 1-D weights 1 + 0.1u, running_var
 * 1.25 + 0.25u, biases and running means 0.01u. Unlike a sine pattern it does not cancel over a
 * conv window or a row of a linear layer, and the input's signal keeps its size through deep ReLU
 * networks, so a 1% error in one mid-network layer moves the logits well past the tolerance.
 */
export function hashFill(model: Module): void {
  for (const [key, t] of Object.entries(model.stateDict())) {
    if (key.endsWith('num_batches_tracked')) continue;
    const n = t.size;
    const last = key.slice(key.lastIndexOf('.') + 1);
    const [mul, add] =
      last === 'weight' && t.ndim >= 2
        ? [Math.sqrt(6 / Math.floor(n / t.shape[0]!)), 0]
        : last === 'weight'
          ? [0.1, 1]
          : last === 'running_var'
            ? [0.25, 1.25]
            : [0.01, 0];
    const off = 7919 * keySeed(key);
    const d = t.data;
    for (let i = 0; i < n; i++) d[i] = add + mul * hashUnit(i + off);
  }
  // stateDict() hands out detached views: tell the live tensors their values changed.
  for (const t of [...model.parameters(), ...model.buffers()]) t.markChanged();
}

/** (n·2654435761 mod 2^32) mod 2001 / 1000 - 1, exactly as gen_zoo_parity.py's `hash_unit`. */
function hashUnit(n: number): number {
  return ((Math.imul(n, 2654435761 | 0) >>> 0) % 2001) / 1000 - 1;
}

/** gen_zoo_parity.py's `hash_input`: hashUnit(i + 12345) in row-major order. */
export function hashInput(shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = hashUnit(i + 12345);
  return tensor(data, shape);
}

/** One case of test/fixtures/zoo_parity.json: PyTorch's logits for hash-filled weights. */
export interface ZooParityCase {
  inputShape: number[];
  numKeys: number;
  logits: number[];
}

let parityCases: Record<string, ZooParityCase> | null = null;

/** PyTorch's logits for a zoo model (scripts/fixtures/gen_zoo_parity.py). */
export function zooParity(name: string): ZooParityCase {
  parityCases ??= loadFixture<{ cases: Record<string, ZooParityCase> }>('zoo_parity').cases;
  const c = parityCases[name];
  if (!c) throw new Error(`test/fixtures/zoo_parity.json has no case '${name}'`);
  return c;
}

/**
 * Fill `model` with `hashFill`, run it in eval mode on `hashInput` and compare its logits
 * with PyTorch's (scripts/fixtures/gen_zoo_parity.py), to 1e-4 of the logits' scale.
 */
export function assertZooParity(model: Module, name: string): void {
  const c = zooParity(name);
  assert.equal(Object.keys(model.stateDict()).length, c.numKeys, `${name}: number of state-dict entries`);
  hashFill(model);
  model.eval();
  const y = noGrad(() => model.forward(hashInput(c.inputShape)));
  const scale = Math.max(...c.logits.map(Math.abs));
  assertClose(y, c.logits, { atol: 1e-4 * scale, rtol: 1e-3 });
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
