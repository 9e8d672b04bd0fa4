import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { skipWithoutAddon } from './native-harness.js';

describe('the Node entry point', () => {
  it('always offers the reference backend and the thread controls', () => {
    assert.ok(st.listBackends().includes('reference'));
    assert.equal(typeof st.getNumThreads(), 'number');
    assert.throws(() => st.setNumThreads(0), st.ValueError);
    assert.throws(() => st.setNumThreads(1.5), st.ValueError);
  });

  describe('with the addon built', { skip: skipWithoutAddon }, () => {
    it("makes 'native' the active backend (unless STRIDE_BACKEND says otherwise)", () => {
      assert.ok(st.nativeAvailable());
      assert.ok(st.listBackends().includes('native'));
      assert.equal(st.backend(), process.env['STRIDE_BACKEND'] || 'native');
      const isa = st.nativeIsa();
      assert.ok(isa && ['avx512', 'avx2', 'scalar'].includes(isa.active));
    });

    it('sets and reports the thread count', () => {
      const before = st.getNumThreads();
      try {
        st.setNumThreads(1);
        assert.equal(st.getNumThreads(), 1);
        st.setNumThreads(3);
        assert.equal(st.getNumThreads(), 3);
      } finally {
        st.setNumThreads(before);
      }
    });

    it('trains a small conv net step to the same gradients as the reference backend', () => {
      const run = (name: string): number[][] => {
        return st.withBackend(name, () => {
          st.manualSeed(7);
          const x = st.randn([4, 3, 12, 12]);
          const w1 = st.randn([8, 3, 3, 3], { requiresGrad: true });
          const b1 = st.randn([8], { requiresGrad: true });
          const w2 = st.randn([10, 8 * 6 * 6], { requiresGrad: true });
          let h = st.relu(st.conv2d(x, w1, b1, { padding: 1 }));
          h = st.maxPool2d(h, { kernelSize: 2 });
          const logits = st.matmul(h.reshape([4, 8 * 6 * 6]), w2.transpose(0, 1));
          const loss = st.crossEntropy(logits, st.tensor([1, 2, 3, 4]));
          loss.backward();
          return [
            [loss.item()],
            Array.from(w1.grad!.data),
            Array.from(b1.grad!.data),
            Array.from(w2.grad!.data),
          ];
        });
      };
      const want = run('reference');
      const got = run('native');
      for (let i = 0; i < want.length; i++)
        assertClose(got[i]!, want[i]!, { rtol: 1e-3, atol: 1e-4, msg: `tensor ${i}` });
    });
  });
});
