// The classifier layers at small batch side by side with onnxruntime-node in one process:
// st.linear (with bias) against an onnxruntime MatMul whose weight is a constant initializer, both
// on 2 threads, alternating blocks of 20 calls with a short pause (onnxruntime's intra-op threads
// spin after a call), median of 41 blocks. MobileNetV2's 1280 -> 1000 and ResNet-18's 512 -> 1000
// at batch 1 and 8.
//
//   node --import tsx bench/classifier-ort.mjs
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { singleNodeModel } from './onnx-builder.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const st = await import('../src/node.ts');
st.setBackend('native');
st.setNumThreads(2);
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

for (const [inF, outF] of [
  [1280, 1000],
  [512, 1000],
]) {
  for (const batch of [1, 8]) {
    const w = st.randn([outF, inF], { seed: 1 });
    const b = st.randn([outF], { seed: 2 });
    const x = st.randn([batch, inF], { seed: 3 });
    const model = singleNodeModel({
      opType: 'MatMul',
      inputs: [['x', [batch, inF]]],
      outputs: [['y', [batch, outF]]],
      initializers: [['w', [inF, outF], st.permute(w, [1, 0]).clone().data]],
    });
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
    const feeds = { x: new ort.Tensor('float32', x.data, [batch, inF]) };
    const stride = () => st.noGrad(() => st.linear(x, w, b));
    for (let i = 0; i < 20; i++) {
      stride();
      await session.run(feeds);
    }
    const tStride = [];
    const tOrt = [];
    for (let r = 0; r < 41; r++) {
      let t0 = performance.now();
      for (let i = 0; i < 20; i++) stride();
      tStride.push((performance.now() - t0) / 20);
      await pause();
      t0 = performance.now();
      for (let i = 0; i < 20; i++) await session.run(feeds);
      tOrt.push((performance.now() - t0) / 20);
      await pause();
    }
    const s = median(tStride);
    const o = median(tOrt);
    console.log(
      `Linear ${inF} -> ${outF}, batch ${batch}: Stride ${s.toFixed(4)} ms, onnxruntime ${o.toFixed(4)} ms, onnxruntime / Stride ${(o / s).toFixed(2)}`,
    );
  }
}
