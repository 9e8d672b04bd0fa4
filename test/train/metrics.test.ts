import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

// A hand-worked 3-class example. True: [0,0,0,1,1,2,2,2,2,1], predicted: [0,1,0,1,2,2,2,0,2,1]
// Confusion (rows true, cols predicted):
//   0: [2, 1, 0]   1: [0, 2, 1]   2: [1, 0, 3]
// precision: c0 2/3, c1 2/3, c2 3/4; recall: c0 2/3, c1 2/3, c2 3/4; accuracy 7/10.
const truth = st.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 1]);
const predicted = st.tensor([0, 1, 0, 1, 2, 2, 2, 0, 2, 1]);

describe('metrics', () => {
  it('confusion matrix and accuracy from class indices', () => {
    const cm = st.confusionMatrix(predicted, truth, 3);
    assert.deepEqual(cm.counts, [
      [2, 1, 0],
      [0, 2, 1],
      [1, 0, 3],
    ]);
    assert.equal(st.accuracy(predicted, truth), 0.7);
  });

  it('precision, recall, F1 per class, macro and micro', () => {
    const r = st.classificationReport(st.confusionMatrix(predicted, truth, 3));
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    close(r.perClass[0]!.precision, 2 / 3);
    close(r.perClass[1]!.precision, 2 / 3);
    close(r.perClass[2]!.precision, 3 / 4);
    close(r.perClass[2]!.recall, 3 / 4);
    close(r.perClass[0]!.f1, 2 / 3);
    assert.equal(r.perClass[2]!.support, 4);
    close(r.macro.precision, (2 / 3 + 2 / 3 + 3 / 4) / 3);
    close(r.micro.f1, 0.7);
    close(r.accuracy, 0.7);
    const table = st.formatClassificationReport(r);
    assert.match(table, /macro avg\s+0\.6944/);
  });

  it('arg-max of logits and top-k accuracy', () => {
    const logits = st.tensor([
      [0.1, 0.7, 0.2],
      [0.5, 0.3, 0.2],
      [0.2, 0.3, 0.5],
    ]);
    const t = st.tensor([1, 1, 0]);
    assert.equal(st.accuracy(logits, t), 1 / 3);
    assert.equal(st.topKAccuracy(logits, t, 2), 2 / 3);
    assert.equal(st.topKAccuracy(logits, t, 3), 1);
  });

  it('renders the confusion matrix as a table', () => {
    const s = st.formatConfusionMatrix(st.confusionMatrix(predicted, truth, 3));
    assert.equal(s.split('\n').length, 5);
    assert.match(s.split('\n')[4]!, /^\s*2\s+1\s+0\s+3$/);
  });

  it('regression errors', () => {
    assert.equal(st.meanSquaredError(st.tensor([1, 2]), st.tensor([2, 4])), 2.5);
    assert.equal(st.meanAbsoluteError(st.tensor([1, 2]), st.tensor([2, 4])), 1.5);
  });

  it('refuses labels outside the classes', () => {
    assert.throws(
      () => st.confusionMatrix(st.tensor([0, 3]), st.tensor([0, 1]), 3),
      /prediction 3 at sample 1 is outside the classes \[0, 3\)/,
    );
  });
});
