import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as st from '../../src/index.js';

// A leak check for training and inference loops: run a loop, take the memory after a warm-up and
// again at the end (after full garbage collections), and report how much it grew. Used by
// test/memory/steady-memory.test.ts (few steps) and scripts/results/steady-memory.ts (1,000).

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Memory after two full collections: JS heap plus typed-array storage, and resident size. */
export function settledMemory(): { heapAndBuffers: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapAndBuffers: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

/** What a loop left behind: growth from the end of warm-up to the end, and the pool's counters. */
export interface Growth {
  readonly steps: number;
  readonly heapAndBuffersBytes: number;
  readonly rssBytes: number;
  readonly outstandingAfterWarmUp: number;
  readonly outstandingAtEnd: number;
  readonly pooledBytesAtEnd: number;
}

/** Run `step` `warmUp` times, then `steps` times more, measuring growth over the latter. */
export function measureGrowth(step: () => void, warmUp: number, steps: number): Growth {
  for (let i = 0; i < warmUp; i++) step();
  const before = settledMemory();
  const poolBefore = st.gradientPoolStats();
  for (let i = 0; i < steps; i++) step();
  const after = settledMemory();
  const poolAfter = st.gradientPoolStats();
  return {
    steps,
    heapAndBuffersBytes: after.heapAndBuffers - before.heapAndBuffers,
    rssBytes: after.rss - before.rss,
    outstandingAfterWarmUp: poolBefore.outstanding,
    outstandingAtEnd: poolAfter.outstanding,
    pooledBytesAtEnd: poolAfter.pooledBytes,
  };
}

/** A small CNN (two convolutions, pooling, batch norm, a classifier) on [N, 1, 28, 28]. */
export function smallCnn(): st.Sequential {
  return new st.Sequential(
    new st.Conv2d(1, 8, 3, { padding: 1 }),
    new st.BatchNorm2d(8),
    new st.ReLU(),
    new st.MaxPool2d(2),
    new st.Conv2d(8, 16, 3, { padding: 1 }),
    new st.ReLU(),
    new st.MaxPool2d(2),
    new st.Flatten(),
    new st.Linear(16 * 7 * 7, 10),
  );
}

/** One SGD training step and one eval forward (under noGrad) of `model` on fixed data. */
export function cnnLoops(
  model: st.Sequential,
  batch: number,
): { train: () => void; evalForward: () => void } {
  const rng = new st.Rng(3);
  const x = st.randn([batch, 1, 28, 28], { rng });
  const y = st.tensor(
    Array.from({ length: batch }, (_, i) => i % 10),
    [batch],
  );
  const opt = new st.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return {
    train: () => {
      model.train();
      opt.zeroGrad();
      st.crossEntropy(model.forward(x), y).backward();
      opt.step();
    },
    evalForward: () => {
      model.eval();
      st.noGrad(() => model.forward(x));
    },
  };
}
