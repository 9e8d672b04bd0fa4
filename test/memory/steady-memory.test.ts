import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/index.js';
import { cnnLoops, measureGrowth, smallCnn } from '../helpers/steady-memory.js';

// No leak over training and inference loops: after a warm-up, more steps leave the JS heap and
// typed-array storage where they were (within 5 MB) and hand every pooled gradient buffer back.
// scripts/results/steady-memory.ts runs the same check over 1,000 steps.

const MB = 1024 * 1024;

test('the leak check sees a loop that keeps what it allocates', () => {
  const kept: st.Tensor[] = [];
  const growth = measureGrowth(() => void kept.push(st.zeros([64 * 1024])), 5, 40); // 256 KiB a step
  assert.ok(growth.heapAndBuffersBytes >= 9 * MB, `grew ${growth.heapAndBuffersBytes} bytes`);
});

test('SGD training steps of a small CNN keep memory and the gradient buffer pool steady', () => {
  const { train } = cnnLoops(smallCnn(), 8);
  const growth = measureGrowth(train, 20, 80);
  assert.ok(growth.heapAndBuffersBytes < 5 * MB, `heap + buffers grew ${growth.heapAndBuffersBytes} bytes`);
  assert.equal(growth.outstandingAtEnd, growth.outstandingAfterWarmUp, 'pooled buffers not handed back');
  assert.ok(growth.pooledBytesAtEnd > 0, 'backward reuses pooled buffers');
});

test('eval forwards under noGrad keep memory steady', () => {
  const { evalForward } = cnnLoops(smallCnn(), 8);
  const growth = measureGrowth(evalForward, 20, 80);
  assert.ok(growth.heapAndBuffersBytes < 5 * MB, `heap + buffers grew ${growth.heapAndBuffersBytes} bytes`);
  assert.equal(growth.outstandingAtEnd, growth.outstandingAfterWarmUp);
});
