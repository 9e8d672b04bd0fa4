// The embedding trainer and the verification metrics: scikit-learn's documented roc_curve example,
// hand-worked thresholds and k-NN, and a Siamese / triplet training run on separable synthetic
// identities.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

describe('verification metrics', () => {
  it("rocCurve gives scikit-learn's roc_curve example (AUC 0.75)", () => {
    // sklearn.metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]):
    // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1], thresholds [inf, 0.8, 0.4, 0.35, 0.1]
    const roc = st.rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    assert.deepEqual(roc.fpr, [0, 0, 0.5, 0.5, 1]);
    assert.deepEqual(roc.tpr, [0, 0.5, 0.5, 1, 1]);
    assert.deepEqual(roc.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
    assertClose([roc.auc], [0.75]);
  });
  it('bestThreshold and verificationAccuracy: hand-worked', () => {
    // distances 0.1 (same) 0.3 (same) 0.4 (different) 0.5 (same) 0.9 (different):
    // threshold between 0.3 and 0.4 gets 4 of 5 right (0.5 is the one miss).
    const d = [0.5, 0.1, 0.9, 0.3, 0.4];
    const same = [1, 1, 0, 1, 0];
    const best = st.bestThreshold(d, same);
    assertClose([best.threshold, best.accuracy], [0.35, 0.8]);
    assert.equal(st.verificationAccuracy(d, same, 0.6), 0.8);
    assert.equal(st.verificationAccuracy(d, same, 0.05), 0.4);
  });
  it('knnAccuracy: hand-worked 1-D gallery', () => {
    const gallery = Float32Array.from([0, 1, 10, 11, 12]);
    const labels = [0, 0, 1, 1, 1];
    const queries = Float32Array.from([0.4, 10.4, 5.4]);
    // k = 1: 0, 1, and 5.4 is nearer 1 (4.4) than 10 (4.6) -> 0 (truth 1): 2 of 3
    assertClose([st.knnAccuracy(gallery, labels, queries, [0, 1, 1], 1, 1)], [2 / 3]);
    // k = 5: majority is class 1 everywhere: 2 of 3 (the first query's truth is 0)
    assertClose([st.knnAccuracy(gallery, labels, queries, [0, 1, 1], 1, 5)], [2 / 3]);
    assert.throws(
      () => st.knnAccuracy(gallery, labels, queries, [0, 1, 1], 1, 6),
      /k must be an integer in \[1, 5\]/,
    );
  });
});

describe('trainEmbedding', () => {
  // 6 identities: 8-D points around random centres; a linear embedding to 2-D must separate them.
  const rng = new st.Rng(3);
  const n = 120;
  const data = new Float32Array(n * 8);
  const labels = new Int32Array(n);
  const centres = Array.from({ length: 6 }, () => Array.from({ length: 8 }, () => rng.normal() * 2));
  for (let i = 0; i < n; i++) {
    labels[i] = i % 6;
    for (let j = 0; j < 8; j++) data[i * 8 + j] = centres[i % 6]![j]! + rng.normal() * 0.3;
  }
  const dataset = new st.TensorDataset({ data, labels, sampleShape: [8] });
  for (const loss of ['batch-hard', 'batch-all', 'semi-hard', 'contrastive'] as const) {
    it(`${loss}: the loss falls and nearest neighbours find the identity`, () => {
      st.manualSeed(0);
      const model = new st.Linear(8, 2);
      const losses = st.trainEmbedding(model, dataset, {
        loss,
        steps: 60,
        classesPerBatch: 4,
        samplesPerClass: 4,
        optimizer: new st.Adam(model.parameters(), { lr: 0.05 }),
        margin: loss === 'contrastive' ? 2 : 1,
      });
      const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
      const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
      assert.ok(tail < head / 2, `loss ${head} -> ${tail}`);
      const { embeddings, dim } = st.embedDataset(model, dataset);
      assert.equal(dim, 2);
      assert.ok(st.knnAccuracy(embeddings, labels, embeddings, labels, dim, 3) > 0.9);
    });
  }
  it('explains batches the data cannot fill', () => {
    assert.throws(
      () =>
        st.trainEmbedding(new st.Linear(8, 2), dataset, { loss: 'batch-hard', steps: 1, classesPerBatch: 7 }),
      /P=7.*6 classes/,
    );
  });
});
