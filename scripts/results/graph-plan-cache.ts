// Side-by-side timing of imported ONNX models' inference forward (model.eval() + noGrad) with the
// Graph's fused plan worked out on every call (`base`: a checkout before the plan was kept, given
// as a directory) against this checkout (plan kept between calls). Each variant runs in its own
// child process; the variants are called in turn, round after round (the first alternating), so
// that machine load hits both alike. Prints the medians per model as JSON.
//   nice node --import tsx scripts/results/graph-plan-cache.ts --base DIR [--reps 31] [--batch 1] MODEL.onnx...
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Job {
  model: string;
  batch: number;
}

async function child(root: string): Promise<void> {
  const st: typeof import('../../src/node.js') = await import(
    pathToFileURL(resolve(root, 'src/node.ts')).href
  );
  st.setBackend('native');
  const loaded = new Map<string, { run: () => number }>();
  process.on('message', (job: Job) => {
    let entry = loaded.get(job.model);
    if (!entry) {
      const g = st.importOnnx(readFileSync(job.model)).eval();
      st.manualSeed(0);
      // The input's declared per-sample shape when the file gives one, else ImageNet's.
      const declared = g.nodes().find((n) => n.name === g.inputNames[0])?.shape;
      const x = st.randn([
        job.batch,
        ...(declared && declared.every((d) => d > 0) ? declared : [3, 224, 224]),
      ]);
      const run = (): number => {
        const t0 = performance.now();
        st.noGrad(() => g.forward(x));
        return performance.now() - t0;
      };
      run();
      entry = { run };
      loaded.set(job.model, entry);
    }
    process.send!(entry.run());
  });
  process.send!('ready');
}

function start(root: string) {
  const p = fork(fileURLToPath(import.meta.url), ['--child', root], { execArgv: ['--import', 'tsx'] });
  p.on('exit', (code) => {
    if (code) throw new Error(`the child for ${root} exited with ${code}`);
  });
  const ready = new Promise<void>((ok) => p.once('message', () => ok()));
  const ask = (job: Job) =>
    new Promise<number>((ok) => {
      p.once('message', (m) => ok(m as number));
      p.send(job);
    });
  return { p, ready, ask };
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await child(argv[1]!);
} else {
  const opt = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return dflt;
    const v = argv[i + 1]!;
    argv.splice(i, 2);
    return v;
  };
  const base = opt('base', '');
  const reps = Number(opt('reps', '31'));
  const batch = Number(opt('batch', '1'));
  if (!base || argv.length === 0) throw new Error('usage: graph-plan-cache.ts --base DIR MODEL.onnx...');
  const variants = [
    { name: 'base', ...start(base) },
    { name: 'new', ...start(resolve(fileURLToPath(import.meta.url), '../../..')) },
  ];
  await Promise.all(variants.map((v) => v.ready));
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
  for (const model of argv) {
    const times = variants.map(() => [] as number[]);
    for (let r = 0; r < reps + 2; r++) {
      const order = r % 2 ? [1, 0] : [0, 1];
      for (const k of order) {
        const t = await variants[k]!.ask({ model, batch });
        if (r >= 2) times[k]!.push(t);
      }
    }
    const [b, n] = times.map(median) as [number, number];
    console.log(
      JSON.stringify({
        model: model.split('/').pop(),
        batch,
        reps,
        baseMs: +b.toFixed(3),
        newMs: +n.toFixed(3),
        baseOverNew: +(b / n).toFixed(3),
        loadavg: loadavg().map((v) => +v.toFixed(1)),
        cpu: cpus()[0]?.model,
      }),
    );
  }
  for (const v of variants) v.p.kill();
}
