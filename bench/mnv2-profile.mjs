// MobileNetV2 224x224 inference, Stride's native backend next to onnxruntime-node, in one process:
// the whole model (eval + noGrad, as the bench's MobileNetV2 rows call it, against the ONNX that
// Stride exports of the same model) with the engines alternating call by call, then a per-kernel
// profile of Stride's forward: every backend call it makes (convolutions with their geometry and
// epilogue, sums, pooling, the classifier) timed inside the process, the median of many forwards,
// next to the layer's multiply-adds, and the time spent outside kernels (JavaScript between them,
// garbage collection): per forward, its wall time less the time inside its own backend calls, the
// median over the forwards (a sum of per-call medians would leave out every call's slow tail and
// count it as outside time). `--net resnet18` runs torchvision's ResNet-18 instead.
//
// With `--before DIR` (a copy of an earlier commit's src/, e.g. `git archive COMMIT src | tar -x -C DIR`)
// the same model built by that code runs as a third engine in the race, on the same native addon,
// and its forward is profiled too (its time outside kernels next to this code's).
//
// Usage: node --import tsx bench/mnv2-profile.mjs [--net mobilenet_v2|resnet18] [--reps N] [--threads 1,2] [--batches 1,8] [--before DIR] [--no-profile] [--out FILE.md]
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { renameSync, writeFileSync } from 'node:fs';
import { labelOf, macsOf, profiledBackend } from './backend-call-profiler.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const st = await import('../src/node.js');
const { kernels, registerBackend, withBackend } = await import('../src/backend/registry.js');

const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const reps = Number(arg('--reps', '21'));
const threadList = arg('--threads', '2').split(',').map(Number);
const batches = arg('--batches', '1,8').split(',').map(Number);
const outFile = arg('--out', null);
const profile = !process.argv.includes('--no-profile');
const beforeDir = arg('--before', null);
const net = arg('--net', 'mobilenet_v2');
if (net !== 'mobilenet_v2' && net !== 'resnet18')
  throw new Error(`--net must be mobilenet_v2 or resnet18, got ${net}`);
const netTitle = net === 'resnet18' ? 'ResNet-18' : 'MobileNetV2';
const stBefore = beforeDir ? await import(`${process.cwd()}/${beforeDir}/src/node.js`) : null;
const registryBefore = beforeDir
  ? await import(`${process.cwd()}/${beforeDir}/src/backend/registry.js`)
  : null;
stBefore?.setBackend('native');

st.setBackend('native');

// The timing backend (bench/backend-call-profiler.mjs): every backend call of a profiled forward
// lands in profiler.calls as { key, args, ms }, for this code and, with --before, the earlier one.
const profiler = { calls: [] };
registerBackend(profiledBackend(kernels(), profiler));
registryBefore?.registerBackend(profiledBackend(registryBefore.kernels(), profiler));

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const pause = () => sleep(3);

async function race(engines) {
  const times = engines.map(() => []);
  for (const e of engines) for (let i = 0; i < 3; i++) await e.run();
  for (let r = 0; r < reps; r++) {
    // In a fresh random order each round: an engine that allocates leaves garbage collection
    // work that lands in whichever call comes next, so no engine always follows the same one.
    const order = engines.map((_, k) => k);
    for (let q = order.length - 1; q > 0; q--) {
      const j = Math.floor(Math.random() * (q + 1));
      [order[q], order[j]] = [order[j], order[q]];
    }
    for (const k of order) {
      await pause();
      const t0 = process.hrtime.bigint();
      await engines[k].run();
      times[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return times.map(median);
}

/**
 * Time each of `forwards` reps times (after 3 warm-ups), alternating them forward by forward, through
 * the timing backend: per-call medians, the median total and the median time outside calls.
 */
async function profileForwards(forwards) {
  const out = forwards.map(() => ({ perCall: [], totals: [], outside: [], labels: null }));
  for (let r = 0; r < reps + 3; r++) {
    for (const [k, forward] of forwards.entries()) {
      const o = out[k];
      profiler.calls = [];
      await pause();
      const t0 = process.hrtime.bigint();
      forward();
      const total = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r < 3) continue;
      const calls = profiler.calls;
      o.labels ??= calls.map((c) => [labelOf(c.key, c.args), macsOf(c.key, c.args)]);
      calls.forEach((c, i) => (o.perCall[i] ??= []).push(c.ms));
      o.totals.push(total);
      o.outside.push(total - calls.reduce((sum, c) => sum + c.ms, 0));
    }
  }
  return out.map((o) => ({
    perCall: o.perCall,
    labels: o.labels,
    totalMs: median(o.totals),
    outsideMs: median(o.outside),
    // What earlier versions of this script reported: the median total less the summed per-call
    // medians, which counts every call's slow tail (a core taken by another process, a page fault)
    // as time outside calls.
    outsideOfMediansMs: median(o.totals) - o.perCall.map(median).reduce((a, b) => a + b, 0),
  }));
}

const lines = [];
const log = (s) => {
  console.log(s);
  lines.push(s);
};
const mobilenet = (lib = st) => {
  lib.manualSeed(0);
  return lib.models[net]().eval();
};
const modelOnnx = st.exportOnnx(mobilenet(), st.randn([2, 3, 224, 224]));

log(`# ${netTitle} inference: Stride vs onnxruntime-node, with a per-kernel profile of Stride`);
log('');
log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, onnxruntime-node ${require('onnxruntime-node/package.json').version}; ` +
    `median of ${reps} calls per engine, engines alternating call by call in one process, in a random order each round (a shared machine: ratios, not absolute times, are the result).`,
);
log('');
for (const threads of threadList) {
  st.setNumThreads(threads);
  stBefore?.setNumThreads(threads);
  const session = await ort.InferenceSession.create(modelOnnx, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  for (const batch of batches) {
    const x = st.randn([batch, 3, 224, 224]);
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, [batch, 3, 224, 224]) };
    const model = mobilenet();
    const engines = [
      { run: () => withBackend('native', () => st.noGrad(() => model.forward(x))) },
      { run: () => session.run(feeds) },
    ];
    const old = stBefore ? mobilenet(stBefore) : null;
    const xOld = stBefore ? new stBefore.Tensor(x.data, x.shape) : null;
    if (stBefore) engines.push({ run: () => stBefore.noGrad(() => old.forward(xOld)) });
    const [strideMs, ortMs, beforeMs] = await race(engines);
    log(`## ${threads} thread(s), batch ${batch}`);
    log('');
    log(
      `Whole model: Stride ${strideMs.toFixed(2)} ms, onnxruntime ${ortMs.toFixed(2)} ms, ` +
        `Stride / ort speed ${(ortMs / strideMs).toFixed(3)}` +
        (stBefore
          ? `; before ${beforeMs.toFixed(2)} ms, before / ort speed ${(ortMs / beforeMs).toFixed(3)}, after / before speed ${(beforeMs / strideMs).toFixed(3)}.`
          : '.'),
    );
    log('');
    if (!profile) continue;
    // Per-kernel profile: the same model and input through the timing backend.
    // With --before, the earlier code's forward is profiled too, the two alternating forward by forward.
    const [prof, profBefore] = await profileForwards([
      () => withBackend('native-profiled', () => st.noGrad(() => model.forward(x))),
      ...(stBefore
        ? [
            () =>
              registryBefore.withBackend('native-profiled', () => stBefore.noGrad(() => old.forward(xOld))),
          ]
        : []),
    ]);
    const { perCall, labels, totalMs, outsideMs } = prof;
    const med = perCall.map(median);
    // Group identical labels (the same layer shape repeated) into one row.
    const rows = new Map();
    labels.forEach(([label, macs], i) => {
      const row = rows.get(label) ?? { n: 0, ms: 0, macs: 0 };
      row.n++;
      row.ms += med[i];
      row.macs += macs;
      rows.set(label, row);
    });
    const kernelMs = med.reduce((a, b) => a + b, 0);
    log(
      `Profiled forward: ${totalMs.toFixed(2)} ms in all, ${med.length} backend calls (the sum of their medians ${kernelMs.toFixed(2)} ms), ` +
        `${outsideMs.toFixed(3)} ms outside them (per forward: its time less its own calls' times; median over forwards; ` +
        `the median total less the summed per-call medians: ${prof.outsideOfMediansMs.toFixed(3)} ms).`,
    );
    if (profBefore) {
      log(
        `Before: ${profBefore.totalMs.toFixed(2)} ms in all, ${profBefore.perCall.length} backend calls, ` +
          `${profBefore.outsideMs.toFixed(3)} ms outside them (the median total less the summed per-call medians: ` +
          `${profBefore.outsideOfMediansMs.toFixed(3)} ms).`,
      );
    }
    log('');
    log('| backend call | count | ms | share | GMAC/s |');
    log('|---|---:|---:|---:|---:|');
    for (const [label, r] of [...rows].sort((a, b) => b[1].ms - a[1].ms)) {
      const gmacs = r.macs > 0 ? (r.macs / 1e9 / (r.ms / 1e3)).toFixed(1) : '';
      log(`| ${label} | ${r.n} | ${r.ms.toFixed(3)} | ${((100 * r.ms) / totalMs).toFixed(1)}% | ${gmacs} |`);
    }
    log('');
    const byKind = new Map();
    for (const [label, r] of rows) {
      const kind = label.split(' ')[0];
      byKind.set(kind, (byKind.get(kind) ?? 0) + r.ms);
    }
    log(
      `By kind: ${[...byKind]
        .sort((a, b) => b[1] - a[1])
        .map(([k, ms]) => `${k} ${ms.toFixed(2)} ms`)
        .join(', ')}, outside backend calls ${outsideMs.toFixed(3)} ms.`,
    );
    log('');
  }
}
if (outFile) {
  writeFileSync(`${outFile}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${outFile}.tmp`, outFile);
}
