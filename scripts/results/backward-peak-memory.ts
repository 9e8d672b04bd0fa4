// Peak resident memory of ResNet-18 training steps (batch 8, 3x224x224, SGD), with the autograd
// graph kept until the step ends (`backward({ retainGraph: true })`, what every backward did
// before saved tensors were freed) and with each node's saved tensors freed as soon as its
// backward has run (the default now), each with and without the loss kept in a variable outside
// the loop. Each variant runs in its own child process (peak RSS is per process), two steps each.
// Prints one JSON line:
//   npx tsx scripts/results/backward-peak-memory.ts [label]
// The numbers go into scripts/results/backward-peak-memory.md.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/node.js';

const mode = process.env.STRIDE_PEAK_MODE;
// 'held': the loss lives in a variable outside the loop (as loops that log it do), so the previous
// step's loss is alive during the next forward; 'scoped': nothing outlives its step.
const held = process.env.STRIDE_PEAK_HELD === '1';
if (mode === 'retain' || mode === 'free') {
  const model = st.models.resnet18({ numClasses: 1000 });
  const opt = new st.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const rng = new st.Rng(1);
  const x = st.randn([8, 3, 224, 224], { rng });
  const y = st.tensor([0, 1, 2, 3, 4, 5, 6, 7], [8]);
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  const kept: st.Tensor[] = [];
  for (let step = 0; step < 2; step++) {
    opt.zeroGrad();
    const l = st.crossEntropy(model.forward(x), y);
    l.backward(undefined, { retainGraph: mode === 'retain' });
    if (held) kept[0] = l;
    opt.step();
  }
  kept.length = 0;
  const msPerStep = Math.round((performance.now() - t0) / 2);
  console.log(
    JSON.stringify({
      mode,
      held,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      rssBeforeStepsMB: Math.round(baseline / 1024 / 1024),
      msPerStep,
    }),
  );
} else {
  const self = fileURLToPath(import.meta.url);
  const run = (m: string, keep: boolean) =>
    JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', self], {
        env: { ...process.env, STRIDE_PEAK_MODE: m, STRIDE_PEAK_HELD: keep ? '1' : '0' },
        encoding: 'utf8',
      }).trim(),
    ) as { peakRssMB: number };
  const runs = [run('retain', false), run('free', false), run('retain', true), run('free', true)];
  console.log(
    JSON.stringify({
      label: process.argv[2] ?? 'run',
      backend: st.backend().name,
      runs,
      peakSavedMBScoped: runs[0]!.peakRssMB - runs[1]!.peakRssMB,
      peakSavedMBHeld: runs[2]!.peakRssMB - runs[3]!.peakRssMB,
      cpu: cpus()[0]?.model,
      node: process.version,
    }),
  );
}
