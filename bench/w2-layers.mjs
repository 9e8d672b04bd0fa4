// Per-layer profile of the W2 train step (ConvNetJS CIFAR-10 net, batch 32) or, with `--net w1`,
// of the W1 step (LeNet-5 'modern', batch 64): every convolution (forward, backward-data,
// backward-filter), ReLU, max pool and the whole step, Stride's native kernels against PyTorch
// (bench/w2-layers.py in a child /usr/bin/python3), both on the same thread count, alternating one
// op at a time, median of `rounds` medians. With `--baseline <stride_native.node>` (another build
// of the addon, e.g. a copy of main's) the same ops also run on that build's kernels, in the same
// rounds. Run:
//   node --import tsx bench/w2-layers.mjs [--net w2|w1] [--threads 2] [--rounds 7] [--reps 30] [--baseline path]
// Speed is measured side by side on a possibly shared machine: compare ratios, not absolute times.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers/promises';

const st = await import('../src/node.js');
const { kernels, withKernels } = await import('../src/backend/registry.js');
const { createNativeBackend } = await import('../src/backend/native/native-backend.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const threads = arg('--threads', 2);
const rounds = arg('--rounds', 7);
const reps = arg('--reps', 30);
const netAt = process.argv.indexOf('--net');
const net = netAt >= 0 ? process.argv[netAt + 1] : 'w2';
if (net !== 'w1' && net !== 'w2') throw new Error(`--net must be w1 or w2, got ${net}`);
const baselineAt = process.argv.indexOf('--baseline');
const baselineAddon = baselineAt >= 0 ? createRequire(import.meta.url)(process.argv[baselineAt + 1]) : null;
st.setBackend('native');
st.setNumThreads(threads);
st.manualSeed(0);

const pyArgs = [new URL('./w2-layers.py', import.meta.url).pathname, String(threads), net];
const py = spawn('/usr/bin/python3', pyArgs, {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
// Idle threads of either side spin for a while after a call; let them sleep before the other times.
const pause = () => setTimeout(30);
async function torchMs(op) {
  await pause();
  py.stdin.write(JSON.stringify({ op, reps }) + '\n');
  const { value } = await lines.next();
  return JSON.parse(value).ms;
}

// Per net: batch, convolutions as [in, out, input size, padding] (5x5, stride 1, each followed by
// ReLU and a 2x2 max pool), the model and its input shape.
const NETS = {
  w2: {
    batch: 32,
    convs: [
      [3, 16, 32, 2],
      [16, 20, 16, 2],
      [20, 20, 8, 2],
    ],
    model: () => st.models.convnetjs_cifar10(),
    input: [3, 32, 32],
  },
  w1: {
    batch: 64,
    convs: [
      [1, 6, 28, 2],
      [6, 16, 14, 0],
    ],
    model: () => st.models.lenet5({ variant: 'modern' }),
    input: [1, 28, 28],
  },
};
const NET = NETS[net];
const N = NET.batch;
const rand = (n) => st.randn([n]).data;

/** The W2 step's ops on backend k, each run with k's kernels active. */
function buildOps(k) {
  st.manualSeed(0);
  const ops = new Map();
  for (const [i, [c, o, s, pad]] of NET.convs.entries()) {
    const q = s + 2 * pad - 4; // output size
    const p = {
      batch: N,
      inChannels: c,
      inH: s,
      inW: s,
      outChannels: o,
      kH: 5,
      kW: 5,
      strideH: 1,
      strideW: 1,
    };
    Object.assign(p, { padTop: pad, padLeft: pad, dilationH: 1, dilationW: 1, groups: 1, outH: q, outW: q });
    const x = rand(N * c * s * s);
    const w = rand(o * c * 25);
    const b = rand(o);
    const y = new Float32Array(N * o * q * q);
    const dy = rand(N * o * q * q);
    const dx = new Float32Array(x.length);
    const dw = new Float32Array(w.length);
    ops.set(`conv${i + 1} forward`, () => k.conv2dForward(p, x, w, b, y));
    ops.set(`conv${i + 1} backward-filter`, () => k.conv2dBackwardFilter(p, x, dy, dw));
    if (c > 3) ops.set(`conv${i + 1} backward-data`, () => k.conv2dBackwardData(p, dy, w, dx));
    const yt = st.tensor(dy, [N, o, q, q]);
    ops.set(`relu${i + 1} forward`, () => st.noGrad(() => st.relu(yt)));
    const pp = { batch: N, channels: o, inH: q, inW: q, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0 };
    Object.assign(pp, { padLeft: 0, padBottom: 0, padRight: 0, dilationH: 1, dilationW: 1 });
    Object.assign(pp, { outH: q / 2, outW: q / 2, countIncludePad: true });
    const py_ = new Float32Array((N * o * q * q) / 4);
    const idx = new Int32Array(py_.length);
    ops.set(`pool${i + 1} forward`, () => k.maxPool2dForward(pp, dy, py_, idx));
    k.maxPool2dForward(pp, dy, py_, idx);
    const dp = rand(py_.length);
    const dpx = new Float32Array(dy.length);
    ops.set(`pool${i + 1} backward`, () => k.maxPool2dBackward(pp, dp, idx, dpx));
  }
  {
    const model = NET.model();
    const opt = new st.SGD(model.parameters(), { lr: 0.01 });
    model.train();
    const xs = st.randn([N, ...NET.input]);
    const ys = st.randint(0, 10, [N]);
    ops.set('whole step', () => {
      opt.zeroGrad();
      const loss = st.crossEntropy(model.forward(xs), ys);
      loss.backward();
      opt.step();
    });
  }
  return new Map([...ops].map(([name, fn]) => [name, () => withKernels(k, fn)]));
}

const engines = new Map([['stride', buildOps(kernels())]]);
if (baselineAddon) {
  baselineAddon.setNumThreads(threads);
  engines.set('base', buildOps(createNativeBackend(baselineAddon, 'native-baseline')));
}

function strideMs(fn) {
  fn();
  fn();
  const t = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(t);
}
function median(a) {
  const s = [...a].sort((u, v) => u - v);
  return s[Math.floor(s.length / 2)];
}

const names = [...engines.get('stride').keys()];
const results = new Map(names.map((name) => [name, { stride: [], base: [], torch: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const name of names) {
    const res = results.get(name);
    res.torch.push(await torchMs(name));
    for (const [id, ops] of engines) {
      await pause();
      res[id].push(strideMs(ops.get(name)));
    }
  }
}
py.stdin.end();
const head = `${net.toUpperCase()} layers, batch ${N}, ${threads} thread(s), median of ${rounds} rounds x ${reps} calls`;
console.log(head + (baselineAddon ? `; base = ${process.argv[baselineAt + 1]}` : ''));
const cols = ['Stride ms', ...(baselineAddon ? ['base ms'] : []), 'PyTorch ms', 'torch/Stride'];
console.log('op'.padEnd(26) + cols.map((c) => c.padStart(13)).join(''));
const sums = { stride: 0, base: 0, torch: 0 };
for (const [name, res] of results) {
  const m = {
    stride: median(res.stride),
    base: baselineAddon ? median(res.base) : 0,
    torch: median(res.torch),
  };
  if (name !== 'whole step') for (const id of Object.keys(sums)) sums[id] += m[id];
  const vals = [m.stride, ...(baselineAddon ? [m.base] : []), m.torch].map((v) => v.toFixed(3));
  console.log(
    name.padEnd(26) + [...vals, (m.torch / m.stride).toFixed(2)].map((c) => c.padStart(13)).join(''),
  );
}
const sumVals = [sums.stride, ...(baselineAddon ? [sums.base] : []), sums.torch].map((v) => v.toFixed(3));
console.log('sum of ops'.padEnd(26) + sumVals.map((c) => c.padStart(13)).join(''));
