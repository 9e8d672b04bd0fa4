// The bench's own engine processes for the WebAssembly W3 rows, run side by side: each engine
// (bench/engines/*.mjs, as bench/coordinator.mjs starts them) is set up once, then the engines take
// turns, `--rounds` rounds of `--iters` iterations each, in a random order per round, and the median
// time per iteration is reported. One machine load for all engines: ratios are the result.
//
// Usage: node bench/wasm-race.mjs [--workload w3-b1|w3-b8|...] [--rounds N] [--iters N]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const workload = arg('--workload', 'w3-b1');
const rounds = Number(arg('--rounds', '9'));
const iters = Number(arg('--iters', '2'));
const engineFile = (f) => fileURLToPath(new URL(`./engines/${f}`, import.meta.url));

const ENGINES = [
  [
    'Stride wasm, 1 thread',
    ['--import', 'tsx', engineFile('stride.mjs'), '--backend', 'wasm', '--threads', '1'],
  ],
  ['tfjs wasm, 1 thread', [engineFile('tfjs.mjs'), '--backend', 'wasm']],
  [
    'Stride wasm, 2 threads',
    ['--import', 'tsx', engineFile('stride.mjs'), '--backend', 'wasm', '--threads', '2'],
  ],
  ['onnxruntime-web, 2 threads', [engineFile('ort.mjs'), '--runtime', 'web', '--threads', '2']],
];

/** One engine process speaking the JSON-lines protocol of engines/engine-loop.mjs. */
function start(args) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map();
  let next = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return; // a library's own output
    }
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  const ask = (cmd) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, (msg) => (msg.ok ? resolve(msg) : reject(new Error(msg.error))));
      child.stdin.write(`${JSON.stringify({ id, ...cmd })}\n`);
    });
  return { ask, stop: () => child.kill() };
}

const engines = ENGINES.map(([name, args]) => ({ name, proc: start(args), ms: [] }));
for (const e of engines) await e.proc.ask({ cmd: 'setup', workload });
for (let r = 0; r < rounds; r++) {
  for (const e of [...engines].sort(() => Math.random() - 0.5)) {
    const { seconds } = await e.proc.ask({ cmd: 'run', workload, iters });
    e.ms.push((seconds * 1000) / iters);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(`${workload}: median ms per iteration over ${rounds} rounds of ${iters}, engines taking turns`);
for (const e of engines) console.log(`  ${e.name}: ${median(e.ms).toFixed(2)} ms`);
const [s1, tf, s2, ort] = engines.map((e) => median(e.ms));
console.log(
  `  Stride 1 thr. ÷ tfjs speed ${(tf / s1).toFixed(3)}×, Stride 2 thr. ÷ onnxruntime-web speed ${(ort / s2).toFixed(3)}×`,
);
for (const e of engines) e.proc.stop();
process.exit(0);
