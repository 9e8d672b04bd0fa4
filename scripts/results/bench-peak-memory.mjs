// Peak resident memory of the bench's memory rows, measured as bench/coordinator.mjs measures it
// (each engine alone in a fresh process: setup with its 2 warm-up steps, 3 iterations, then
// process.resourceUsage().maxRSS / ru_maxrss), for Stride run both ways (the JavaScript that
// bench/compile-stride.mjs transpiles, and the TypeScript sources under tsx, as the bench ran it
// before) next to onnxruntime-node and PyTorch. Needs bench/node_modules (npm run bench installs
// it) and bench/.cache/resnet18.onnx, mobilenet_v2.onnx (written by a bench run).
//   nice node scripts/results/bench-peak-memory.mjs [--rows w3-b1,w4] [--repeats 1]
// Prints a markdown table; the committed numbers are in scripts/results/inference-memory.md.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { compileStride } from '../../bench/compile-stride.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const rows = arg('--rows', 'w3-b1,w3-b8,w3f-b1,w3f-b8,mnv2-b1,mnv2-b8,w4').split(',');
const repeats = Number(arg('--repeats', '1'));
const node = process.execPath;
const engines = {
  'stride (compiled JS)': [node, ['bench/engines/stride.mjs', '--compiled', '--backend', 'native']],
  'stride (tsx)': [node, ['--import', 'tsx', 'bench/engines/stride.mjs', '--backend', 'native']],
  onnxruntime: [node, ['bench/engines/ort.mjs']],
  torch: ['/usr/bin/python3', ['bench/engines/torch_engine.py']],
};
const supports = (engine, row) =>
  engine === 'onnxruntime' ? row !== 'w4' : engine === 'torch' ? !row.startsWith('mnv2') : true;

/** One fresh engine process: setup, 3 iterations, its peak RSS in MiB (null when it failed). */
function peak(engine, row) {
  const [cmd, argv] = engines[engine];
  const p = spawn(cmd, argv, {
    cwd: root,
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, STRIDE_BENCH_THREADS: '2' },
  });
  const pending = new Map();
  let id = 0;
  createInterface({ input: p.stdout }).on('line', (line) => {
    try {
      const m = JSON.parse(line);
      pending.get(m.id)?.(m);
    } catch {
      // a library printing to stdout
    }
  });
  const req = (c, extra = {}) =>
    new Promise((resolve) => {
      const i = ++id;
      pending.set(i, resolve);
      p.stdin.write(`${JSON.stringify({ id: i, cmd: c, ...extra })}\n`);
    });
  const done = new Promise((resolve) => p.on('exit', resolve));
  return (async () => {
    try {
      await req('info');
      if (!(await req('setup', { workload: row })).ok) return null;
      await req('run', { workload: row, iters: 3 });
      return (await req('memory')).maxRssBytes / 2 ** 20;
    } finally {
      p.stdin.end();
      await done;
    }
  })();
}

const compileError = await compileStride();
if (compileError) throw new Error(compileError);
if (!existsSync(join(root, 'bench', 'node_modules', 'onnxruntime-node')))
  throw new Error('no bench/node_modules/onnxruntime-node: run npm install in bench/ first');
const names = Object.keys(engines);
console.log(`| row | ${names.join(' | ')} | compiled Stride ÷ lowest peer |`);
console.log(`|---|${names.map(() => '---:|').join('')}---:|`);
for (const row of rows) {
  const cells = {};
  for (const e of names) {
    if (!supports(e, row)) continue;
    const xs = [];
    for (let r = 0; r < repeats; r++) {
      const v = await peak(e, row);
      if (v !== null) xs.push(v);
    }
    if (xs.length) cells[e] = Math.min(...xs);
  }
  const peers = ['onnxruntime', 'torch'].map((e) => cells[e]).filter((v) => v !== undefined);
  const low = peers.length ? Math.min(...peers) : NaN;
  const ratio = cells['stride (compiled JS)'] / low;
  console.log(
    `| ${row} | ${names.map((e) => (cells[e] === undefined ? '–' : `${cells[e].toFixed(0)} MiB`)).join(' | ')} | ${
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–'
    } |`,
  );
}
