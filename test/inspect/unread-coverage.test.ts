import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/index.js';

test('stock ResNets: the 1x1 stride-2 shortcut skips rows that the block’s 3x3 stride-2 convolution reads, so nothing is unread', () => {
  // Block input 56x56: the 3x3 stride-2 padding-1 convolution's 28 windows start at rows -1, 1, ..., 53
  // and cover rows 0..55; the shortcut alone reads rows 0, 2, ..., 54.
  for (const name of ['resnet18', 'resnet50']) {
    const s = st.summary(st.getModel(name, { init: false }), [3, 224, 224]);
    assert.deepEqual(s.warnings, [], name);
  }
});

test('a lone 1x1 stride-2 convolution reads every 2nd row and column only, and says so', () => {
  const model = st.setDefaultInputShape(new st.Sequential(new st.Conv2d(1, 1, 1, { stride: 2 })), [1, 5, 5]);
  const [w] = st.summary(model).warnings;
  // Windows at rows 0, 2, 4 of 5: rows 1 and 3 are never read.
  assert.match(w!, /never reads 2 of the 5 rows \(every 2nd, from row 1\) and 2 of the 5 columns/);
  assert.match(w!, /its window is smaller than its stride/);
});

test('a 1x1 input through ResNet-18 gets a warning: its windows read mostly padding', () => {
  const s = st.summary(st.getModel('resnet18', { init: false }), [3, 1, 1]);
  assert.equal(s.warnings.length, 1);
  assert.match(
    s.warnings[0]!,
    /window layers slide a kernel more than twice the size of their input, first conv1 \(7x7 window on a 1x1 input\)/,
  );
});
