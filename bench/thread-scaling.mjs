// Thread scaling of ResNet-18 inference (issue 18): Stride native on 1 thread against 2 threads
// against onnxruntime-node on 2 intra-op threads, in one process, alternating, median of many.
//
//   node --import tsx bench/thread-scaling.mjs [--batch 1|8] [--rounds 15] [--layers] [--out FILE.md]
//
// Whole model: each round times Stride at 1 thread, Stride at 2 threads and onnxruntime at 2
// threads once each (eval + noGrad, the plain call users make), in that order, after a warm-up.
// With --layers, every backend kernel call of one forward is timed (the backend's methods are
// wrapped), and the per-call medians over the rounds are printed for 1 and 2 threads side by side,
// with the time spent between kernel calls (JavaScript) as its own line. Machine load from other
// processes moves every number; the ratios in one run are what to read. Each forward's process CPU
// time (every thread) is reported beside its wall time: on a loaded machine it is the steadier
// measure of the work done, and 2-thread CPU time above the 1-thread one is work the split adds
// (repeated transforms, spinning). --out appends the printed report to a markdown file.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const st = await import('../src/node.js');
const { kernels } = await import('../src/backend/registry.js');
const require = createRequire(import.meta.url);

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const batch = Number(arg('--batch', '1'));
const rounds = Number(arg('--rounds', '15'));
const layers = process.argv.includes('--layers');
const outFile = arg('--out', null);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const now = () => Number(process.hrtime.bigint()) / 1e6;
const cpuMs = (since) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};
const report = [];
const say = (line) => {
  console.log(line);
  report.push(line);
};

st.setBackend('native');
st.manualSeed(0);
const model = st.models.resnet18().eval();
const x = st.randn([batch, 3, 224, 224]);
const forward = () => st.noGrad(() => model.forward(x));

// Per-kernel timing: wrap the backend's methods once; `trace` is null when not recording.
let trace = null;
if (layers) {
  const b = kernels();
  for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(b)).concat(Object.keys(b))) {
    const f = b[key];
    if (typeof f !== 'function' || key === 'constructor') continue;
    b[key] = function (...args) {
      if (!trace) return f.apply(this, args);
      const t0 = now();
      const r = f.apply(this, args);
      trace.push([key, now() - t0]);
      return r;
    };
  }
}

let ort = null;
const onnxPath = fileURLToPath(new URL('./.cache/resnet18.onnx', import.meta.url));
if (existsSync(onnxPath)) {
  const o = require('onnxruntime-node');
  const session = await o.InferenceSession.create(onnxPath, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const feeds = {
    [session.inputNames[0]]: new o.Tensor('float32', new Float32Array(batch * 3 * 224 * 224).fill(0.5), [
      batch,
      3,
      224,
      224,
    ]),
  };
  ort = () => session.run(feeds);
} else {
  console.log('onnxruntime: no bench/.cache/resnet18.onnx (bench/export_resnet18.py writes it); skipped');
}

async function timeStride(threads, perCall) {
  if (st.getNumThreads() !== threads) st.setNumThreads(threads);
  forward();
  if (perCall) trace = [];
  const c0 = process.cpuUsage();
  const t0 = now();
  forward();
  const ms = now() - t0;
  const cpu = cpuMs(c0);
  const calls = trace;
  trace = null;
  return { ms, cpu, calls };
}

const whole = { s1: [], s2: [], ort: [], c1: [], c2: [], co: [] };
const perCall = { 1: [], 2: [] };
for (let r = -2; r < rounds; r++) {
  const a = await timeStride(1, layers);
  const b = await timeStride(2, layers);
  let o = NaN;
  let oc = NaN;
  if (ort) {
    await ort();
    const c0 = process.cpuUsage();
    const t0 = now();
    await ort();
    o = now() - t0;
    oc = cpuMs(c0);
    // onnxruntime's intra-op threads spin for a while after a run; without this pause they would
    // take a core from the next round's Stride calls (and count in their process CPU time).
    await sleep(20);
  }
  if (r < 0) continue;
  whole.s1.push(a.ms);
  whole.s2.push(b.ms);
  whole.ort.push(o);
  whole.c1.push(a.cpu);
  whole.c2.push(b.cpu);
  whole.co.push(oc);
  if (layers) {
    perCall[1].push(a);
    perCall[2].push(b);
  }
}

const m1 = median(whole.s1),
  m2 = median(whole.s2),
  mo = median(whole.ort);
const [c1, c2, co] = [whole.c1, whole.c2, whole.co].map(median);
say(
  `ResNet-18 batch ${batch}, median of ${rounds} alternating rounds, eval + noGrad (${st.nativeIsa()?.active ?? ''}; ` +
    `${cpus().length} CPUs, ${cpus()[0]?.model.trim() ?? ''}; load average ${loadavg()[0].toFixed(1)} at the end)`,
);
say('');
say('| engine | wall ms | CPU ms (all threads) | wall scaling vs Stride 1 thread |');
say('|---|---:|---:|---:|');
say(`| Stride native, 1 thread | ${m1.toFixed(2)} | ${c1.toFixed(2)} | 1.00x |`);
say(`| Stride native, 2 threads | ${m2.toFixed(2)} | ${c2.toFixed(2)} | ${(m1 / m2).toFixed(2)}x |`);
if (ort)
  say(
    `| onnxruntime-node, 2 intra-op threads | ${mo.toFixed(2)} | ${co.toFixed(2)} | ${(m1 / mo).toFixed(2)}x |`,
  );
if (ort)
  say(
    `\nStride 2 threads against onnxruntime 2 threads: ${(mo / m2).toFixed(2)}x (above 1 = Stride faster).`,
  );

if (layers) {
  const n = perCall[1][0].calls.length;
  const rows = [];
  for (let i = 0; i < n; i++) {
    const name = perCall[1][0].calls[i][0];
    const t1 = median(perCall[1].map((c) => c.calls[i]?.[1] ?? NaN));
    const t2 = median(perCall[2].map((c) => c.calls[i]?.[1] ?? NaN));
    rows.push([i, name, t1, t2]);
  }
  const js1 = median(perCall[1].map((c) => c.ms - c.calls.reduce((s, [, t]) => s + t, 0)));
  const js2 = median(perCall[2].map((c) => c.ms - c.calls.reduce((s, [, t]) => s + t, 0)));
  say('');
  say('| call | kernel | 1 thread ms | 2 threads ms | scaling |');
  say('|---:|---|---:|---:|---:|');
  for (const [i, name, t1, t2] of rows)
    say(`| ${i} | ${name} | ${t1.toFixed(3)} | ${t2.toFixed(3)} | ${(t1 / t2).toFixed(2)}x |`);
  say(
    `| | between kernels (JavaScript) | ${js1.toFixed(3)} | ${js2.toFixed(3)} | ${(js1 / js2).toFixed(2)}x |`,
  );
}

if (outFile) {
  const { writeFileAtomic } = await import('../src/io/atomic-write-node.js');
  const before = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  writeFileAtomic(outFile, `${before}${before ? '\n' : ''}${report.join('\n')}\n`);
}
