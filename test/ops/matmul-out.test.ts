import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBackend } from '../../src/backend/registry.js';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';

// st.matmul(a, b, { out }): the product written into a given tensor, on the active backend,
// against the same product on the reference backend (the float64-accumulating TS kernels).

const backends = st.nativeAvailable() ? ['native', 'reference'] : ['reference'];
const reference = (a: st.Tensor, b: st.Tensor) => withBackend('reference', () => st.matmul(a, b).toArray());

describe('matmul into a given tensor', () => {
  for (const name of backends) {
    it(`${name}: 2-D, batched with broadcasting and vector shapes match the reference product`, () => {
      withBackend(name, () => {
        const cases: [number[], number[], number[]][] = [
          [
            [37, 70],
            [70, 45],
            [37, 45],
          ],
          [
            [3, 1, 9, 16],
            [4, 16, 5],
            [3, 4, 9, 5],
          ],
          [[16], [16, 7], [7]],
          [[6, 16], [16], [6]],
        ];
        for (const [i, [sa, sb, so]] of cases.entries()) {
          const a = st.randn(sa, { seed: 10 + i });
          const b = st.randn(sb, { seed: 20 + i });
          const out = st.full(so, Number.NaN); // every element must be overwritten
          const v0 = out.version;
          const r = st.matmul(a, b, { out });
          assert.equal(r, out, 'returns the out tensor itself');
          assert.ok(out.version > v0, 'bumps its version');
          assertClose(out, reference(a, b), { atol: 1e-4 });
        }
      });
    });

    it(`${name}: reusing one out across calls gives each call's product, old values never leak`, () => {
      withBackend(name, () => {
        const out = st.full([20, 30], Number.NaN);
        for (let i = 0; i < 3; i++) {
          const a = st.randn([20, 40], { seed: 100 + i });
          const b = st.randn([40, 30], { seed: 200 + i });
          st.matmul(a, b, { out });
          assertClose(out, reference(a, b), { atol: 1e-4 });
        }
      });
    });
  }

  for (const name of backends) {
    it(`${name}: a new large output (not zero-filled under Node) holds exactly the product`, () => {
      withBackend(name, () => {
        // 160x130 = 20800 elements: above the size from which st.matmul's output skips the zero
        // fill. Each call's output must hold its own product, whatever the memory held before,
        // including an empty inner dimension (all zeros) and a batch of products in float64.
        for (let i = 0; i < 4; i++) {
          const a = st.randn([160, 70], { seed: 300 + i });
          const b = st.randn([70, 130], { seed: 400 + i });
          assertClose(st.matmul(a, b), reference(a, b), { atol: 1e-4 });
          const zero = st.matmul(st.zeros([160, 0]), st.zeros([0, 130]));
          assert.ok(
            zero.data.every((v) => v === 0),
            'K = 0 gives zeros',
          );
        }
        const a = st.randn([3, 100, 20], { seed: 500, dtype: 'float64' });
        const b = st.randn([3, 20, 90], { seed: 501, dtype: 'float64' });
        assertClose(st.matmul(a, b), reference(a, b), { atol: 1e-9 });
      });
    });
  }

  it('refuses an out of the wrong shape or dtype, naming what it expected', () => {
    const a = st.randn([4, 5]);
    const b = st.randn([5, 6]);
    assert.throws(() => st.matmul(a, b, { out: st.zeros([6, 4]) }), /expected \[4, 6\], got \[6, 4\]/);
    assert.throws(() => st.matmul(a, b, { out: st.zeros([4, 6], { dtype: 'float64' }) }), /dtype/);
    assert.throws(() => st.matmul(a, b, { outt: st.zeros([4, 6]) } as never), /outt/);
  });

  it('refuses an out that shares storage with an operand', () => {
    const a = st.randn([4, 4]);
    const b = st.randn([4, 4]);
    assert.throws(() => st.matmul(a, b, { out: a }), /shares its storage/);
    assert.throws(() => st.matmul(a, b, { out: b.reshape([4, 4]) }), /shares its storage/);
  });

  it('refuses while a gradient is recorded, and works on the same tensors under noGrad', () => {
    const w = st.randn([5, 3]).requiresGrad_();
    const x = st.randn([2, 5]);
    const out = st.zeros([2, 3]);
    assert.throws(() => st.matmul(x, w, { out }), /not recorded by autograd/);
    st.noGrad(() => st.matmul(x, w, { out }));
    assertClose(out, reference(x, w.detach()), { atol: 1e-5 });
    assert.equal(out.gradFn, null);
  });
});
