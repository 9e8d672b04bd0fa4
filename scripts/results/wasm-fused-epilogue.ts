// Side-by-side timing of the wasm backend's residual convolutions: the module's fused entry point
// (conv + bias + residual + ReLU in the kernel's tile epilogue) against the former path (the
// packed forward, then the residual sum and ReLU as a JavaScript pass over the output). Both run
// on the same module instance in one process: the former path is the same addon with its
// conv2dForwardFused replaced, registered as a second backend. Two ResNet-18s with the same seed
// (each keeps its own prepared weights), model.eval() + noGrad, called in turn (first one, then the other) round after round;
// prints the medians and their ratio.
//   nice node --import tsx scripts/results/wasm-fused-epilogue.ts [--batch 1] [--threads 1] [--reps 15]
import { registerBackend } from '../../src/backend/registry.js';
import { createNativeBackend } from '../../src/backend/native/native-backend.js';
import type { NativeAddon } from '../../src/backend/native/native-addon.js';
import { applyConvEpilogue } from '../../src/backend/reference/conv.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import '../../src/backend/wasm/read-wasm-file-node.js';
import { instantiateWasmAddon } from '../../src/backend/wasm/load-wasm.js';
import * as st from '../../src/node.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const batch = arg('batch', 1);
const threads = arg('threads', 1);
const reps = arg('reps', 15);

const fused = await instantiateWasmAddon(undefined, threads);
// The former wasm conv2dForwardFused: the forward, then the epilogue in JavaScript.
const jsEpilogue: NativeAddon = Object.create(fused, {
  conv2dForwardFused: {
    value(...[p, x, w, packed, bias, residual, relu, y]: Parameters<NativeAddon['conv2dForwardFused']>) {
      if (packed) fused.conv2dForwardPacked(p, x, w, packed, bias, y, -Infinity, Infinity);
      else fused.conv2dForward(p, x, w, bias, y);
      applyConvEpilogue(y, { residual, activation: relu ? 'relu' : null });
    },
  },
}) as NativeAddon;
registerBackend({ ...referenceBackend, ...createNativeBackend(fused, 'wasm') });
registerBackend({ ...referenceBackend, ...createNativeBackend(jsEpilogue, 'wasm-js-epilogue') });

const models = ['wasm-js-epilogue', 'wasm'].map((backend) => {
  st.manualSeed(0);
  const model = st.models.resnet18();
  model.eval();
  return { backend, model, times: [] as number[], out: null as Float32Array | null };
});
st.manualSeed(1);
const x = st.randn([batch, 3, 224, 224]);
for (let r = 0; r < reps + 2; r++) {
  // Which variant goes first alternates round by round.
  for (const m of r % 2 ? [...models].reverse() : models) {
    st.setBackend(m.backend);
    const t0 = performance.now();
    const y = st.noGrad(() => m.model.forward(x));
    const dt = performance.now() - t0;
    if (r >= 2) m.times.push(dt); // two warm-up rounds (weights prepared and made resident)
    m.out = Float32Array.from(y.data as Float32Array);
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const [before, after] = models.map((m) => median(m.times)) as [number, number];
let maxDiff = 0;
for (let i = 0; i < models[0]!.out!.length; i++)
  maxDiff = Math.max(maxDiff, Math.abs(models[0]!.out![i]! - models[1]!.out![i]!));
const { loadavg, cpus } = await import('node:os');
console.log(
  JSON.stringify({
    model: 'resnet18',
    batch,
    threads: fused.getNumThreads(),
    reps,
    jsEpilogueMs: +before.toFixed(2),
    fusedMs: +after.toFixed(2),
    speedup: +(before / after).toFixed(3),
    maxAbsLogitDiff: maxDiff,
    loadavg: loadavg().map((v) => +v.toFixed(1)),
    cpu: cpus()[0]?.model,
  }),
);
process.exit(0);
