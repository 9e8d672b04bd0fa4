// Leak check over long loops: 1,000 SGD training steps and 1,000 eval forwards (under noGrad) of
// a small CNN (batch 16, 1x28x28), after 100 warm-up steps each. Memory is read after full
// garbage collections every 100 steps: JS heap + typed-array storage, resident size, and the
// gradient buffer pool's outstanding count. Fails (exit 1) when heap + buffers grow by 5 MB or
// more, or the pool's outstanding count grows. Prints one JSON line:
//   npx tsx scripts/results/steady-memory.ts [label]
// The numbers go into scripts/results/steady-memory.md.
import { cpus } from 'node:os';
import * as st from '../../src/node.js';
import { cnnLoops, settledMemory, smallCnn } from '../../test/helpers/steady-memory.js';

const label = process.argv[2] ?? 'run';
const MB = 1024 * 1024;
const BOUND = 5 * MB;

function loop(name: string, step: () => void) {
  for (let i = 0; i < 100; i++) step();
  const start = settledMemory();
  const outstanding = st.gradientPoolStats().outstanding;
  const samples: { step: number; heapAndBuffersMB: number; rssMB: number; outstanding: number }[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= 1000; i++) {
    step();
    if (i % 100 === 0) {
      const m = settledMemory();
      samples.push({
        step: i,
        heapAndBuffersMB: +((m.heapAndBuffers - start.heapAndBuffers) / MB).toFixed(2),
        rssMB: +((m.rss - start.rss) / MB).toFixed(2),
        outstanding: st.gradientPoolStats().outstanding,
      });
    }
  }
  const last = samples[samples.length - 1]!;
  return {
    name,
    msPerStep: +((performance.now() - t0) / 1000).toFixed(1),
    outstandingAfterWarmUp: outstanding,
    growthAfter1000: last,
    samples,
    ok: last.heapAndBuffersMB * MB < BOUND && last.outstanding <= outstanding,
  };
}

const { train, evalForward } = cnnLoops(smallCnn(), 16);
const results = [loop('train', train), loop('eval', evalForward)];
console.log(
  JSON.stringify({
    label,
    backend: st.backend().name,
    results,
    pool: st.gradientPoolStats(),
    cpu: cpus()[0]?.model,
    node: process.version,
  }),
);
if (!results.every((r) => r.ok)) {
  console.error('steady-memory: memory grew over the loop (see the JSON above)');
  process.exit(1);
}
