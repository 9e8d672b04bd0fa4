// Gradient clipping against hand computations and torch.nn.utils.clip_grad_norm_/clip_grad_value_
// (test/fixtures/optim.json, scripts/fixtures/gen_optim.py).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

function withGrads(grads: number[][]): st.Tensor[] {
  return grads.map((g) => {
    const p = st.zeros([g.length], { requiresGrad: true });
    p.grad = st.tensor(g);
    return p;
  });
}

describe('clipGradNorm by hand', () => {
  // Gradients [3, 4] and [12]: 2-norm √(9 + 16 + 144) = 13, 1-norm 19, ∞-norm 12.
  it('returns the total 2-norm and scales every gradient by maxNorm/(norm + 1e-6)', () => {
    const ps = withGrads([[3, 4], [12]]);
    assert.equal(st.clipGradNorm(ps, 6.5), 13);
    // coefficient 6.5/13.000001 ≈ 0.5 → [1.5, 2] and [6]
    const c = 6.5 / (13 + 1e-6);
    assertClose(ps[0]!.grad!, st.tensor([3 * c, 4 * c]), { atol: 1e-6 });
    assertClose(ps[1]!.grad!.data, [12 * c], { atol: 1e-6 });
    assertClose(ps[0]!.grad!.data, [1.5, 2], { atol: 1e-6 });
  });

  it('1-norm and infinity norm', () => {
    assert.equal(st.clipGradNorm(withGrads([[3, 4], [12]]), 100, 1), 19);
    const ps = withGrads([[3, -4], [-12]]);
    assert.equal(st.clipGradNorm(ps, 6, Infinity), 12);
    assertClose(ps[0]!.grad!.data, [1.5, -2], { atol: 1e-6 });
  });

  it('leaves gradients alone under maxNorm, skips parameters without one, returns 0 for none', () => {
    const ps = withGrads([[3, 4]]);
    const bare = st.zeros([2], { requiresGrad: true });
    assert.equal(st.clipGradNorm([...ps, bare], 10), 5);
    assert.deepEqual(Array.from(ps[0]!.grad!.data), [3, 4]);
    assert.equal(bare.grad, null);
    assert.equal(st.clipGradNorm([bare], 1), 0);
  });

  it('errorIfNonfinite refuses a NaN norm; bad normType is a ValueError', () => {
    assert.throws(
      () => st.clipGradNorm(withGrads([[NaN, 1]]), 1, 2, { errorIfNonfinite: true }),
      /total norm of the gradients is NaN/,
    );
    assert.throws(() => st.clipGradNorm(withGrads([[1]]), 1, 0), st.ValueError);
  });
});

describe('clipGradValue by hand', () => {
  it('clamps every element to [-clipValue, clipValue]', () => {
    const ps = withGrads([[3, -0.2, -7], [0.5]]);
    st.clipGradValue(ps, 1);
    assert.deepEqual(Array.from(ps[0]!.grad!.data), [1, -0.20000000298023224, -1]);
    assert.deepEqual(Array.from(ps[1]!.grad!.data), [0.5]);
    assert.throws(() => st.clipGradValue(ps, -1), st.ValueError);
  });
});

interface ClipCase {
  kind: 'norm' | 'value';
  grads: FixtureTensor[];
  clipped: FixtureTensor[];
  maxNorm?: number;
  normType?: number | 'inf';
  totalNorm?: number;
  clipValue?: number;
}

describe('clipping matches torch.nn.utils', () => {
  for (const c of loadFixture<{ cases: { clip: ClipCase[] } }>('optim').cases.clip) {
    it(`${c.kind} ${c.kind === 'norm' ? `max ${c.maxNorm}, p ${c.normType}` : `value ${c.clipValue}`}`, () => {
      const ps = c.grads.map((g) => {
        const p = st.zeros(g.shape, { requiresGrad: true });
        p.grad = st.tensor(g.data, g.shape);
        return p;
      });
      if (c.kind === 'norm') {
        const total = st.clipGradNorm(ps, c.maxNorm!, c.normType === 'inf' ? Infinity : c.normType);
        assertClose([total], [c.totalNorm!], { atol: 1e-6, rtol: 1e-6 });
      } else {
        st.clipGradValue(ps, c.clipValue!);
      }
      ps.forEach((p, i) => assertClose(p.grad!.data, c.clipped[i]!.data, { atol: 1e-6, rtol: 1e-5 }));
    });
  }
});
