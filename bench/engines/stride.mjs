// Stride as a benchmark engine. Run with `node bench/engines/stride.mjs --compiled --backend
// native|wasm|reference` on the JavaScript that bench/compile-stride.mjs transpiled (as users run
// the package), or `node --import tsx bench/engines/stride.mjs --backend ...` (tsx loads Stride's
// TypeScript sources directly).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { COMPILED_SRC } from '../compile-stride.mjs';
import { BENCH_THREADS, WORKLOADS, centerNetImage, workOf } from '../workloads.mjs';
import { serve } from './engine-loop.mjs';

const srcUrl = process.argv.includes('--compiled')
  ? `${pathToFileURL(COMPILED_SRC).href}/`
  : new URL('../../src/', import.meta.url).href;
const st = await import(new URL('node.js', srcUrl).href);
const { kernels } = await import(new URL('backend/registry.js', srcUrl).href);
const backendName = process.argv[process.argv.indexOf('--backend') + 1] ?? 'native';
// 'wasm': the WebAssembly build of the native kernels, loaded from its shipped files, on `--threads N`
// threads (default BENCH_THREADS; the threaded module's helpers are worker_threads).
const threadsAt = process.argv.indexOf('--threads');
const wasmThreads = threadsAt >= 0 ? Number(process.argv[threadsAt + 1]) : BENCH_THREADS;
if (backendName === 'wasm') await st.initWasmBackend({ threads: wasmThreads });
st.setBackend(backendName);
// Every engine runs BENCH_THREADS threads, not Stride's default of every online CPU.
const defaultThreads = BENCH_THREADS;

const state = new Map();

function trainer(model, x, y) {
  const opt = new st.SGD(model.parameters(), { lr: 0.01 });
  model.train();
  return () => {
    opt.zeroGrad();
    const loss = st.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
  };
}

function build(workload) {
  st.manualSeed(0);
  switch (workOf(workload)) {
    case 'w5-conv': {
      const x = st.randn([1, 64, 56, 56]);
      const w = st.randn([64, 64, 3, 3]);
      return () => st.noGrad(() => st.conv2d(x, w, null, { padding: 1 }));
    }
    case 'w5-sgemm': {
      const a = st.randn([1024, 1024]);
      const b = st.randn([1024, 1024]);
      return () => st.noGrad(() => st.matmul(a, b));
    }
    case 'gemm-1t':
    case 'gemm-2t': {
      // The GEMM rows time the backend kernel into a preallocated C, as cblas_sgemm is called.
      const a = st.randn([1024, 1024]).data;
      const b = st.randn([1024, 1024]).data;
      const c = new Float32Array(1024 * 1024);
      const p = {
        batch: 1,
        m: 1024,
        n: 1024,
        k: 1024,
        transA: false,
        transB: false,
        strideA: 0,
        strideB: 0,
        strideC: 0,
        accumulate: false,
      };
      return () => kernels().gemm(p, a, b, c);
    }
    case 'w1':
      return trainer(
        st.models.lenet5({ variant: 'modern' }),
        st.randn([64, 1, 28, 28]),
        st.randint(0, 10, [64]),
      );
    case 'w2':
      return trainer(st.models.convnetjs_cifar10(), st.randn([32, 3, 32, 32]), st.randint(0, 10, [32]));
    case 'w3-b1':
    case 'w3-b8':
    case 'w3f-b1':
    case 'w3f-b8': {
      const model = st.models.resnet18();
      model.eval();
      // The fused rows fold batch norm into the convolutions and ReLU into conv/add outputs.
      if (workload.startsWith('w3f')) st.fuseForInference(model);
      const x = st.randn([WORKLOADS[workload].batch, 3, 224, 224]);
      return () => st.noGrad(() => model.forward(x));
    }
    case 'mnv2-b1':
    case 'mnv2-b8': {
      // As users call it: eval mode and noGrad (batch norms fold into the convolutions by themselves).
      const model = st.models.mobilenet_v2().eval();
      const x = st.randn([workload.endsWith('b1') ? 1 : 8, 3, 224, 224]);
      return () => st.noGrad(() => model.forward(x));
    }
    case 'w6-centernet': {
      // The CenterNet of @vladmandic/human through the TF.js graph importer; detect() runs the
      // network, decodes the peaks and runs NMS, as the tfjs engine's row does.
      const net = st.loadCenterNet();
      const x = st.permute(st.tensor(centerNetImage(), [1, 512, 512, 3]), [0, 3, 1, 2]).clone();
      return () => net.detect(x);
    }
    case 'w4':
      return trainer(st.models.resnet18(), st.randn([8, 3, 224, 224]), st.randint(0, 1000, [8]));
    default:
      throw new Error(`stride: no workload ${workload}`);
  }
}

/** Size the pool for a workload; resizing only when it changes keeps threads alive between iterations. */
function useThreads(workload) {
  if (backendName !== 'native') return;
  const n = WORKLOADS[workload].threads ?? defaultThreads;
  if (st.getNumThreads() !== n) st.setNumThreads(n);
}

serve({
  info() {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const isa = st.nativeIsa();
    return {
      name: { native: 'Stride native', wasm: 'Stride wasm' }[backendName] ?? 'Stride reference',
      version: `${pkg.version} (${st.backend()}${isa && backendName === 'native' ? `, ${isa.active}` : ''})`,
      threads: backendName === 'native' ? defaultThreads : backendName === 'wasm' ? st.wasmThreads() : 1,
    };
  },
  setup(workload) {
    useThreads(workload);
    const step = build(workload);
    for (let i = 0; i < 2; i++) step();
    state.set(workload, step);
    return undefined;
  },
  run(workload) {
    useThreads(workload);
    state.get(workload)();
  },
});
