// Side-by-side timing of Stride's native convolutions and ResNet-18 on 1 vs 2 threads (and
// onnxruntime-node with 2 intra-op threads), each variant in its own child process (the thread
// pool is process-wide), the variants called in turn, round after round, so that machine load
// hits every variant alike. Prints medians.
//   nice node --import tsx scripts/results/conv-threads.ts [--layers] [--model] [--batch 1,8] [--reps 15]
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type Job = { kind: 'layer'; shape: number[]; batch: number } | { kind: 'model'; batch: number };
const ORT_MODEL = process.env.RESNET18_ONNX ?? 'bench/.cache/resnet18.onnx';

// [cin, cout, k, stride, inHW]: ResNet-18's convolutions at 224x224.
const SHAPES = [
  [3, 64, 7, 2, 224],
  [64, 64, 3, 1, 56],
  [64, 128, 3, 2, 56],
  [64, 128, 1, 2, 56],
  [128, 128, 3, 1, 28],
  [128, 256, 3, 2, 28],
  [128, 256, 1, 2, 28],
  [256, 256, 3, 1, 14],
  [256, 512, 3, 2, 14],
  [256, 512, 1, 2, 14],
  [512, 512, 3, 1, 7],
];

async function child(variant: string): Promise<void> {
  const setups = new Map<string, () => unknown>();
  let setup: (job: Job) => Promise<() => unknown>;
  if (variant === 'ort2') {
    const ort = createRequire(import.meta.url)('onnxruntime-node');
    setup = async (job) => {
      if (job.kind !== 'model') throw new Error('ort runs the model only');
      const session = await ort.InferenceSession.create(ORT_MODEL, {
        intraOpNumThreads: 2,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      });
      const n = job.batch * 3 * 224 * 224;
      const data = new Float32Array(n).map(() => Math.random() * 2 - 1);
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [job.batch, 3, 224, 224]) };
      return () => session.run(feeds);
    };
  } else {
    // A variant is name=root@threads (the Stride checkout whose sources and addon it loads) or t1/t2.
    const spec = variant.includes('=') ? variant.split('=')[1]! : `.@${variant.slice(1)}`;
    const [root, threads] = spec.split('@') as [string, string];
    const { pathToFileURL } = await import('node:url');
    const { resolve } = await import('node:path');
    const st: typeof import('../../src/node.js') = await import(
      pathToFileURL(resolve(root, 'src/node.ts')).href
    );
    st.setBackend('native');
    st.setNumThreads(Number(threads));
    setup = async (job) => {
      st.manualSeed(0);
      if (job.kind === 'model') {
        const model = st.models.resnet18();
        model.eval();
        const x = st.randn([job.batch, 3, 224, 224]);
        return () => st.noGrad(() => model.forward(x));
      }
      const [cin, cout, k, s, hw] = job.shape as [number, number, number, number, number];
      const x = st.randn([job.batch, cin, hw, hw]);
      const w = st.randn([cout, cin, k, k]);
      const bias = st.randn([cout]);
      return () => st.noGrad(() => st.conv2d(x, w, bias, { stride: s, padding: (k - 1) / 2 }));
    };
  }
  process.on('message', async (m: { job: Job; calls: number }) => {
    const key = JSON.stringify(m.job);
    let f = setups.get(key);
    if (!f) {
      f = await setup(m.job);
      setups.set(key, f);
      await f();
      await f();
    }
    const t0 = performance.now();
    for (let i = 0; i < m.calls; i++) await f();
    process.send!((performance.now() - t0) / m.calls);
  });
  process.send!('ready');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : def);
  const reps = Number(opt('--reps', '15'));
  const batches = opt('--batch', '1,8').split(',').map(Number);
  const onlyShape = opt('--shape', '');
  const withOrt = existsSync(ORT_MODEL) && createRequire(import.meta.url).resolve('onnxruntime-node');
  const variants = opt('--variants', 't1,t2').split(',');
  const names = [...variants, ...(withOrt && args.includes('--model') ? ['ort2'] : [])];
  const procs = await Promise.all(
    names.map(
      (v) =>
        new Promise<ReturnType<typeof fork>>((resolve) => {
          const p = fork(fileURLToPath(import.meta.url), ['--child', v], { execArgv: ['--import', 'tsx'] });
          p.once('message', () => resolve(p));
        }),
    ),
  );
  const call = (p: ReturnType<typeof fork>, job: Job, calls: number) =>
    new Promise<number>((resolve) => {
      p.once('message', (t) => resolve(t as number));
      p.send({ job, calls });
    });
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
  const runJob = async (job: Job, label: string, calls: number, useOrt: boolean) => {
    const active = names.map((n, i) => [n, procs[i]!] as const).filter(([n]) => useOrt || n !== 'ort2');
    const times = new Map<string, number[]>(active.map(([n]) => [n, []]));
    for (let r = 0; r < reps; r++) for (const [n, p] of active) times.get(n)!.push(await call(p, job, calls));
    const med = Object.fromEntries([...times].map(([n, t]) => [n.split('=')[0]!, median(t)]));
    const parts = Object.entries(med).map(([n, t]) => `${n} ${t.toFixed(3)} ms`);
    // Ratios against the first variant.
    const [first, ...rest] = Object.keys(med);
    for (const n of rest) parts.push(`${first}/${n} ${(med[first!]! / med[n]!).toFixed(2)}x`);
    console.log(`${label}: ${parts.join(', ')}`);
  };
  if (args.includes('--steady')) {
    // Steady speed: fresh processes, each timing the median of 30 calls of the 64->64 56x56 3x3
    // convolution (the bench's W5 row), variants alternating process by process.
    const runs = Number(opt('--steady', '6'));
    const job: Job = { kind: 'layer', shape: [64, 64, 3, 1, 56], batch: 1 };
    for (const p of procs) p.kill();
    const medians = new Map<string, number[]>(variants.map((v) => [v.split('=')[0]!, []]));
    for (let r = 0; r < runs; r++)
      for (const v of variants) {
        const p = await new Promise<ReturnType<typeof fork>>((resolve) => {
          const c = fork(fileURLToPath(import.meta.url), ['--child', v], { execArgv: ['--import', 'tsx'] });
          c.once('message', () => resolve(c));
        });
        const times: number[] = [];
        for (let i = 0; i < 30; i++) times.push(await call(p, job, 1));
        p.kill();
        medians.get(v.split('=')[0]!)!.push(median(times));
      }
    for (const [v, m] of medians)
      console.log(
        `${v}: medians of 30 calls in ${runs} fresh processes: ${m.map((t) => t.toFixed(2)).join(', ')} ms`,
      );
    return;
  }
  for (const batch of batches) {
    if (args.includes('--layers'))
      for (const shape of SHAPES) {
        if (onlyShape && shape.join(',') !== onlyShape) continue;
        await runJob(
          { kind: 'layer', shape, batch },
          `b${batch} ${shape[0]}->${shape[1]} k${shape[2]} s${shape[3]} ${shape[4]}px`,
          5,
          false,
        );
      }
    if (args.includes('--model')) await runJob({ kind: 'model', batch }, `resnet18 b${batch}`, 1, true);
  }
  for (const p of procs) p.kill();
}

if (process.argv.includes('--child')) await child(process.argv[process.argv.indexOf('--child') + 1]!);
else await main();
