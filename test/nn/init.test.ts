import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

function stats(t: st.Tensor): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / t.size;
  let ss = 0;
  for (const v of t.data) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / t.size), min, max };
}

/** |got / want - 1| <= rel */
function near(got: number, want: number, rel: number, what: string): void {
  assert.ok(Math.abs(got / want - 1) <= rel, `${what}: got ${got}, want ${want} (within ${rel * 100}%)`);
}

describe('initializers', () => {
  // 256 x 128 x 3 x 3 = 294,912 samples: the sample std is within ~0.3% of the true one.
  const shape = [256, 128, 3, 3];
  const fanIn = 128 * 9;
  const fanOut = 256 * 9;

  it('computes fans and gains as PyTorch does', () => {
    assert.deepEqual(st.init.computeFans(shape), [fanIn, fanOut]);
    assert.deepEqual(st.init.computeFans([10, 4]), [4, 10]);
    assert.throws(() => st.init.computeFans([5]), st.ShapeError);
    assert.equal(st.init.calculateGain('relu'), Math.SQRT2);
    assert.equal(st.init.calculateGain('tanh'), 5 / 3);
    assert.equal(st.init.calculateGain('conv2d'), 1);
    assert.equal(st.init.calculateGain('selu'), 0.75);
    near(st.init.calculateGain('leakyRelu', 0.2), Math.sqrt(2 / 1.04), 1e-12, 'leaky gain');
    near(st.init.calculateGain('leakyRelu'), Math.sqrt(2 / 1.0001), 1e-12, 'leaky default');
  });

  it('kaimingNormal has std sqrt(2/fanIn) (relu) and sqrt(2/fanOut) in fanOut mode', () => {
    const s = stats(st.init.kaimingNormal(st.zeros(shape), { nonlinearity: 'relu', rng: new st.Rng(1) }));
    near(s.std, Math.sqrt(2 / fanIn), 0.02, 'std');
    assert.ok(Math.abs(s.mean) < 0.002);
    const o = stats(st.init.kaimingNormal(st.zeros(shape), { mode: 'fanOut', rng: new st.Rng(2) }));
    near(o.std, Math.sqrt(2 / fanOut), 0.02, 'fanOut std');
  });

  it('kaimingUniform stays within gain*sqrt(3/fanIn) and reaches it', () => {
    const bound = Math.sqrt(2) * Math.sqrt(3 / fanIn);
    const s = stats(st.init.kaimingUniform(st.zeros(shape), { rng: new st.Rng(3) }));
    assert.ok(s.max <= bound && s.min >= -bound);
    assert.ok(s.max > 0.999 * bound && s.min < -0.999 * bound);
    near(s.std, bound / Math.sqrt(3), 0.02, 'std');
  });

  it('xavierUniform stays within sqrt(6/(fanIn+fanOut)) and xavierNormal has std sqrt(2/(fanIn+fanOut))', () => {
    const bound = Math.sqrt(6 / (fanIn + fanOut));
    const u = stats(st.init.xavierUniform(st.zeros(shape), { rng: new st.Rng(4) }));
    assert.ok(u.max <= bound && u.min >= -bound, `bounds ${u.min} ${u.max} vs ${bound}`);
    assert.ok(u.max > 0.999 * bound && u.min < -0.999 * bound);
    const g = stats(st.init.glorotUniform(st.zeros([300, 200]), { gain: 2, rng: new st.Rng(5) }));
    assert.ok(g.max <= 2 * Math.sqrt(6 / 500));
    const n = stats(st.init.xavierNormal(st.zeros(shape), { rng: new st.Rng(6) }));
    near(n.std, Math.sqrt(2 / (fanIn + fanOut)), 0.02, 'std');
  });

  it('lecun initializers use 1/fanIn', () => {
    const n = stats(st.init.lecunNormal(st.zeros(shape), { rng: new st.Rng(7) }));
    near(n.std, Math.sqrt(1 / fanIn), 0.02, 'std');
    const u = stats(st.init.lecunUniform(st.zeros(shape), { rng: new st.Rng(8) }));
    assert.ok(u.max <= Math.sqrt(3 / fanIn));
    near(u.std, Math.sqrt(1 / fanIn), 0.02, 'uniform std');
  });

  function gram(w: st.Tensor, rows: number, cols: number, byRows: boolean): number {
    // Largest deviation of the Gram matrix of the rows (or columns) from the identity.
    const n = byRows ? rows : cols;
    let worst = 0;
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        const len = byRows ? cols : rows;
        for (let k = 0; k < len; k++) {
          const va = byRows ? w.data[a * cols + k]! : w.data[k * cols + a]!;
          const vb = byRows ? w.data[b * cols + k]! : w.data[k * cols + b]!;
          dot += va * vb;
        }
        worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
      }
    }
    return worst;
  }

  it('orthogonal gives WᵀW ≈ I (tall) and WWᵀ ≈ I (wide), also for conv shapes', () => {
    const tall = st.init.orthogonal(st.zeros([40, 12]), { rng: new st.Rng(9) });
    assert.ok(gram(tall, 40, 12, false) < 1e-5, 'columns of a tall matrix');
    const wide = st.init.orthogonal(st.zeros([8, 30]), { rng: new st.Rng(10) });
    assert.ok(gram(wide, 8, 30, true) < 1e-5, 'rows of a wide matrix');
    const conv = st.init.orthogonal(st.zeros([6, 2, 3, 3]), { rng: new st.Rng(11) });
    assert.ok(gram(conv, 6, 18, true) < 1e-5, 'filters of a conv weight');
    const scaled = st.init.orthogonal(st.zeros([5, 5]), { gain: 3, rng: new st.Rng(12) });
    let norm0 = 0;
    for (let j = 0; j < 5; j++) norm0 += scaled.data[j]! ** 2;
    near(Math.sqrt(norm0), 3, 1e-5, 'gain');
  });

  it('fills constants and is reproducible from a seed', () => {
    assert.deepEqual([...st.init.constant(st.zeros([3]), 0.5).data], [0.5, 0.5, 0.5]);
    assert.deepEqual([...st.init.ones(st.zeros([2])).data], [1, 1]);
    assert.deepEqual([...st.init.zeros(st.ones([2])).data], [0, 0]);
    const a = st.init.normal(st.zeros([5]), 0, 1, { rng: new st.Rng(42) });
    const b = st.init.normal(st.zeros([5]), 0, 1, { rng: new st.Rng(42) });
    assert.deepEqual([...a.data], [...b.data]);
    st.manualSeed(123);
    const c = new st.Conv2d(3, 4, 3);
    st.manualSeed(123);
    const d = new st.Conv2d(3, 4, 3);
    assert.deepEqual([...c.weight.data], [...d.weight.data]);
    const e = new st.Linear(3, 4, { rng: new st.Rng(5) });
    const f = new st.Linear(3, 4, { rng: new st.Rng(5) });
    assert.deepEqual([...e.weight.data, ...e.bias!.data], [...f.weight.data, ...f.bias!.data]);
  });

  it("gives Conv2d and Linear PyTorch's default: weight and bias in ±1/sqrt(fanIn)", () => {
    const conv = new st.Conv2d(64, 32, 3, { rng: new st.Rng(13) });
    const bound = 1 / Math.sqrt(64 * 9);
    const w = stats(conv.weight);
    assert.ok(w.max <= bound && w.min >= -bound && w.max > 0.99 * bound);
    near(w.std, bound / Math.sqrt(3), 0.03, 'conv weight std');
    const b = stats(conv.bias!);
    assert.ok(b.max <= bound && b.min >= -bound);
    const lin = new st.Linear(400, 300, { rng: new st.Rng(14) });
    const lb = 1 / Math.sqrt(400);
    const lw = stats(lin.weight);
    assert.ok(lw.max <= lb && lw.min >= -lb && lw.max > 0.99 * lb);
    // Transposed conv: PyTorch takes fanIn from the weight's second dimension (out/groups · k · k).
    const tconv = new st.Conv2dTranspose(16, 8, 4, { rng: new st.Rng(15) });
    const tb = 1 / Math.sqrt(8 * 16);
    const tw = stats(tconv.weight);
    assert.ok(tw.max <= tb && tw.max > 0.98 * tb);
  });

  it('resolves initializer names and rejects unknown ones', () => {
    const t = st.init.getInitializer('heNormal')(st.zeros([200, 100]), { rng: new st.Rng(16) });
    near(stats(t).std, Math.sqrt(2 / 100), 0.03, 'heNormal std');
    assert.throws(() => st.init.getInitializer('he' as st.init.InitializerName), /unknown initializer "he"/);
  });
});
