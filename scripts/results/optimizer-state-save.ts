// Times st.save / st.loadCheckpoint of a ResNet-18 with and without its Adam state (median of 3),
// and prints one JSON line: run with `npx tsx scripts/results/optimizer-state-save.ts [label]`.
// The numbers go into scripts/results/optimizer-state-save.md. Adam keeps two buffers per weight,
// so its checkpoint holds three times the bytes of the weights alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as st from '../../src/node.js';

const label = process.argv[2] ?? 'run';
const model = st.models.resnet18({ numClasses: 1000 });
const opt = new st.Adam(model.parameters(), { lr: 1e-3 });
for (const p of model.parameters()) p.grad = st.onesLike(p);
opt.step(); // Adam state exists for every parameter, as after a training step.
const dir = mkdtempSync(join(tmpdir(), 'stride-optstate-'));

function median(f: () => void): number {
  const t: number[] = [];
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    f();
    t.push(performance.now() - start);
  }
  return Math.round(t.sort((a, b) => a - b)[1]!);
}

try {
  const result = {
    label,
    saveWeightsMs: median(() => st.save(model, join(dir, 'weights'))),
    saveWithAdamMs: median(() => st.save(model, join(dir, 'adam'), { optimizer: opt })),
    loadWeightsMs: median(() => st.loadCheckpoint(join(dir, 'weights'))),
    loadWithAdamMs: median(() => {
      const loaded = st.loadCheckpoint(join(dir, 'adam'));
      new st.Adam(loaded.model.parameters(), { lr: 1e-3 }).loadStateDict(loaded.optimizer!.state);
    }),
    params: model.numParameters(),
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    node: process.version,
  };
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
