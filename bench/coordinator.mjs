// Runs every workload on every engine that supports it, in interleaved rounds, and writes
// bench/RESULTS.md (and the raw numbers to bench/results.json).
//
// Each engine is a separate process speaking JSON lines (engines/engine-loop.mjs), so engines
// never share a heap or a thread pool. Within a round every engine runs one timed batch in turn
// (the order rotates between rounds), so a burst of outside load hits all engines alike. A noise
// guard reads /proc/stat around each batch: when processes other than the engine used more than
// a set share of the machine, the batch is repeated (up to 3 attempts, the quietest is kept).
//
// `--render` measures nothing: it writes RESULTS.md again from bench/results.json (the raw numbers
// and machine facts of the last run) and the current notes (bench/shortfall-notes.mjs and the
// notes below), so a changed note reaches RESULTS.md without hand edits.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { compileStride } from './compile-stride.mjs';
import { SHORTFALL_NOTES } from './shortfall-notes.mjs';
import { BENCH_THREADS, WORKLOADS, higherIsBetter, secondsOf, valueOf } from './workloads.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const quick = flag('--quick');
const ROUNDS = Number(option('--rounds', quick ? 3 : 5));
const TARGET_SECONDS = Number(option('--batch-seconds', quick ? 0.2 : 0.5));
const MAX_OTHER_LOAD = 0.1; // share of all CPUs used by other processes during a batch
const ATTEMPTS = 3;
const only = option('--only', '')
  .split(',')
  .filter((s) => s.length > 0);
const outFile = option('--out', join(benchDir, 'RESULTS.md'));
const rawFile = option('--results', join(benchDir, 'results.json'));
const PYTHON = '/usr/bin/python3';
const NCPU = cpus().length;
// Engines in other processes (Python among them) read the thread count from the environment.
process.env.STRIDE_BENCH_THREADS = String(BENCH_THREADS);

// ----- Machine facts -----

function cpuInfo() {
  const text = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.*)/.exec(text)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const flags = new Set((/flags\s*:\s*(.*)/.exec(text)?.[1] ?? '').split(/\s+/));
  const family = /cpu family\s*:\s*(\d+)/.exec(text)?.[1];
  const modelNo = /^model\s*:\s*(\d+)/m.exec(text)?.[1];
  return { model, flags, family, modelNo };
}

function gitCommit() {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const dirty = spawnSync(
    'git',
    ['status', '--porcelain', '--', 'native/src', 'native/binding.gyp', 'src/backend'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  return r.status === 0
    ? `${r.stdout.trim()}${dirty.stdout.trim() ? ' (with uncommitted changes)' : ''}`
    : 'unknown';
}

// ----- CPU accounting for the noise guard -----

function systemBusyTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  return line.reduce((a, b) => a + b, 0) - idle;
}

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (all threads)
  } catch {
    return 0;
  }
}

const TICKS_PER_SECOND = 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait (up to maxSeconds) until a short window shows the machine idle apart from this process,
 * so a batch does not start in the middle of someone else's burst.
 */
async function waitForIdle(maxSeconds = 20) {
  const deadline = Date.now() + maxSeconds * 1000;
  while (Date.now() < deadline) {
    const busy0 = systemBusyTicks();
    const own0 = processTicks(process.pid);
    await sleep(300);
    const other = systemBusyTicks() - busy0 - (processTicks(process.pid) - own0);
    if (other / (0.3 * TICKS_PER_SECOND * NCPU) <= MAX_OTHER_LOAD) return;
  }
}

// ----- Engines -----

class Engine {
  constructor(id, command, argv, env, workloads) {
    this.id = id;
    this.workloads = workloads;
    // A null value removes the variable (OpenBLAS reads an empty OPENBLAS_CORETYPE as a choice).
    const fullEnv = { ...process.env };
    for (const [k, v] of Object.entries(env)) {
      if (v === null) delete fullEnv[k];
      else fullEnv[k] = v;
    }
    this.proc = spawn(command, argv, { cwd: root, env: fullEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    this.pending = new Map();
    this.nextId = 1;
    this.stderr = '';
    this.dead = false;
    this.proc.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.proc.on('exit', (code) => {
      this.dead = true;
      for (const { reject } of this.pending.values()) {
        reject(new Error(`${id} exited (${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`));
      }
      this.pending.clear();
    });
    this.proc.on('error', () => {});
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return; // a library printing to stdout
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg);
      else p.reject(new Error(msg.error));
    });
  }

  request(cmd, extra = {}, timeoutMs = 600_000) {
    if (this.dead) return Promise.reject(new Error(`${this.id} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.id}: ${cmd} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.stdin.write(`${JSON.stringify({ id, cmd, ...extra })}\n`);
    });
  }

  /** One timed batch under the noise guard: the quietest of up to ATTEMPTS tries. */
  async batch(workload, iters) {
    let best = null;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      await waitForIdle();
      const busy0 = systemBusyTicks();
      const own0 = processTicks(this.proc.pid) + processTicks(process.pid);
      const t0 = process.hrtime.bigint();
      const { seconds } = await this.request('run', { workload, iters });
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const other =
        systemBusyTicks() - busy0 - (processTicks(this.proc.pid) + processTicks(process.pid) - own0);
      const otherLoad = Math.max(0, other / (wall * TICKS_PER_SECOND * NCPU));
      const result = { perIteration: seconds / iters, otherLoad, attempt };
      if (!best || otherLoad < best.otherLoad) best = result;
      if (otherLoad <= MAX_OTHER_LOAD) break;
    }
    return best;
  }

  quit() {
    if (!this.dead) this.proc.stdin.end();
  }
}

function torchAvailable() {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** The OpenBLAS kernel chosen without OPENBLAS_CORETYPE, or null without OpenBLAS. */
function openblasCorename() {
  const r = spawnSync(
    PYTHON,
    [
      '-c',
      'import ctypes; l=ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype=ctypes.c_char_p; print(l.openblas_get_corename().decode())',
    ],
    {
      encoding: 'utf8',
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'OPENBLAS_CORETYPE')),
    },
  );
  return r.status === 0 ? r.stdout.trim() : null;
}

function exportResnet(engines) {
  const target = join(benchDir, '.cache', 'resnet18.onnx');
  if (existsSync(target)) return 'cached';
  if (!engines.some((e) => e.id === 'torch')) return 'no PyTorch to export it';
  mkdirSync(dirname(target), { recursive: true });
  const r = spawnSync(PYTHON, [join(benchDir, 'export_resnet18.py'), target], { encoding: 'utf8' });
  return r.status === 0 ? 'exported' : `export failed: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}`;
}

function exportMobilenet() {
  const target = join(benchDir, '.cache', 'mobilenet_v2.onnx');
  if (existsSync(target)) return 'cached';
  mkdirSync(dirname(target), { recursive: true });
  const script = join(benchDir, 'export_mobilenet_v2.mjs');
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, target], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? 'exported' : `export failed: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}`;
}

// ----- Statistics and report -----

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(v) {
  if (!Number.isFinite(v)) return '–';
  if (v >= 1000) return v.toFixed(0);
  if (v >= 100) return v.toFixed(1);
  if (v >= 10) return v.toFixed(2);
  if (v >= 1) return v.toFixed(3);
  return v.toPrecision(3);
}

async function main() {
  const cpu = cpuInfo();
  const haveTorch = torchAvailable();
  const autoCore = openblasCorename();
  // OpenBLAS 0.3.21 falls back to an SSE3 kernel ("Prescott") on CPUs it does not know; on an
  // AVX-512 machine the fair baseline forces its AVX-512 kernel.
  const avx512Kernels = new Set(['SkylakeX', 'Cooperlake', 'SapphireRapids']);
  const forceCore =
    cpu.flags.has('avx512f') && autoCore && !avx512Kernels.has(autoCore)
      ? cpu.flags.has('avx512_bf16')
        ? 'Cooperlake'
        : 'SkylakeX'
      : null;
  const node = process.execPath;
  // Stride's engines run the transpiled JavaScript, as users of the package do (bench/compile-stride.mjs
  // says why); tsx on the TypeScript sources when that fails.
  const compileError = await compileStride();
  if (compileError) process.stderr.write(`[bench] Stride engines run under tsx: ${compileError}\n`);
  const strideEngine = (...flags) =>
    compileError
      ? ['--import', 'tsx', 'bench/engines/stride.mjs', ...flags]
      : ['bench/engines/stride.mjs', '--compiled', ...flags];
  const all = Object.keys(WORKLOADS);
  // W3 fused is the like-for-like row for onnxruntime-web, which fuses batch norm and ReLU on load.
  const WASM_ROWS = ['w5-conv', 'w3-b1', 'w3-b8', 'w3f-b1', 'w3f-b8'];
  const specs = [
    ['stride-native', node, strideEngine('--backend', 'native'), {}, all],
    ['stride-reference', node, strideEngine('--backend', 'reference'), {}, ['w5-conv', 'w5-sgemm']],
    ['tfjs-cpu', node, ['bench/engines/tfjs.mjs', '--backend', 'cpu'], {}, ['w5-conv', 'w5-sgemm']],
    [
      'tfjs-wasm',
      node,
      ['bench/engines/tfjs.mjs', '--backend', 'wasm'],
      {},
      ['w5-conv', 'w5-sgemm', 'w6-centernet', 'w3-b1', 'w3-b8'],
    ],
    // The WebAssembly engines, in Node (issue 17): Stride wasm and onnxruntime-web on BENCH_THREADS
    // threads (both run worker_threads helpers on a shared memory), and Stride wasm on one thread
    // beside tfjs-wasm, whose threaded build Node cannot run.
    ['stride-wasm', node, strideEngine('--backend', 'wasm'), {}, WASM_ROWS],
    ['stride-wasm-1t', node, strideEngine('--backend', 'wasm', '--threads', '1'), {}, WASM_ROWS],
    ['onnxruntime-web', node, ['bench/engines/ort.mjs', '--runtime', 'web'], {}, WASM_ROWS],
    [
      'onnxruntime',
      node,
      ['bench/engines/ort.mjs'],
      {},
      [
        'w5-conv',
        'w5-sgemm',
        'w3-b1',
        'w3-b8',
        'w3f-b1',
        'w3f-b8',
        'mnv2-b1',
        'mnv2-b8',
        'w3-b1-1t',
        'w3-b8-1t',
      ],
    ],
    ['convnetjs', node, ['bench/engines/convnetjs.mjs'], {}, ['w5-conv', 'w1', 'w2']],
  ];
  if (haveTorch) {
    specs.push([
      'torch',
      PYTHON,
      ['bench/engines/torch_engine.py'],
      forceCore ? { OPENBLAS_CORETYPE: forceCore } : { OPENBLAS_CORETYPE: null },
      [
        'w5-conv',
        'w5-sgemm',
        'w1',
        'w2',
        'w3-b1',
        'w3-b8',
        'w3f-b1',
        'w3f-b8',
        'w4',
        'w3-b1-1t',
        'w3-b8-1t',
        'w4-1t',
      ],
    ]);
  }
  if (autoCore) {
    specs.push([
      'openblas',
      PYTHON,
      ['bench/engines/openblas_engine.py'],
      { OPENBLAS_CORETYPE: null },
      ['gemm-1t', 'gemm-2t'],
    ]);
    if (forceCore) {
      specs.push([
        'openblas-forced',
        PYTHON,
        ['bench/engines/openblas_engine.py'],
        { OPENBLAS_CORETYPE: forceCore },
        ['gemm-1t', 'gemm-2t'],
      ]);
    }
  }
  const workloads = only.length ? all.filter((w) => only.includes(w)) : all;
  const engines = specs
    .filter(([, , , , ws]) => ws.some((w) => workloads.includes(w)))
    .map(([id, cmd, argv, env, ws]) => new Engine(id, cmd, argv, env, ws));

  const infos = new Map();
  for (const e of engines) {
    try {
      const { info } = await e.request('info', {}, 120_000);
      infos.set(e.id, info);
    } catch (err) {
      infos.set(e.id, { name: e.id, version: `failed to start: ${err.message}`, threads: '–' });
      e.quit();
    }
  }
  const resnetExport =
    workloads.some((w) => w.startsWith('w3')) && engines.some((e) => e.id === 'onnxruntime')
      ? exportResnet(engines)
      : null;
  const mobilenetExport =
    workloads.some((w) => w.startsWith('mnv2')) && engines.some((e) => e.id === 'onnxruntime')
      ? exportMobilenet()
      : null;

  const results = {}; // workload -> engine -> { values, otherLoads, note, error, iters }
  for (const w of workloads) {
    results[w] = {};
    const participants = [];
    for (const e of engines.filter((x) => x.workloads.includes(w) && !x.dead)) {
      process.stderr.write(`[bench] ${w}: setting up ${e.id}\n`);
      try {
        const r = await e.request('setup', { workload: w });
        const one = await e.request('run', { workload: w, iters: 1 });
        const iters = Math.max(1, Math.min(2000, Math.round(TARGET_SECONDS / Math.max(one.seconds, 1e-6))));
        results[w][e.id] = { values: [], otherLoads: [], attempts: [], iters, note: r.note };
        participants.push(e);
      } catch (err) {
        results[w][e.id] = { error: err.message.split('\n')[0] };
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = participants.map((_, i) => participants[(i + round) % participants.length]);
      for (const e of order) {
        const rec = results[w][e.id];
        if (rec.error) continue;
        try {
          const b = await e.batch(w, rec.iters);
          rec.values.push(valueOf(w, b.perIteration));
          rec.otherLoads.push(b.otherLoad);
          rec.attempts.push(b.attempt);
        } catch (err) {
          rec.error = err.message.split('\n')[0];
        }
      }
      process.stderr.write(`[bench] ${w}: round ${round + 1}/${ROUNDS} done\n`);
    }
  }
  for (const e of engines) e.quit();
  await measurePeakMemory(specs, workloads, results);

  // RESULTS.md and results.json describe the same run: both carry its id, and both are written to
  // temporary names and renamed only once both exist.
  const commit = gitCommit();
  const runId = `${new Date().toISOString()} @ ${commit}`;
  // What the report says about the run besides the numbers, kept with them so --render can rebuild it.
  const facts = {
    cpuLine: cpuLine(cpu),
    node: process.version,
    commit,
    rounds: ROUNDS,
    batchSeconds: TARGET_SECONDS,
    forceCore,
    autoCore,
    resnetExport,
    mobilenetExport,
    strideRuntime: compileError ? 'tsx' : 'compiled',
  };
  const raw = {
    runId,
    cpu: cpu.model,
    threads: BENCH_THREADS,
    workloads,
    facts,
    results,
    infos: Object.fromEntries(infos),
  };
  writeFileSync(`${rawFile}.tmp`, `${JSON.stringify(raw, null, 1)}\n`);
  writeFileSync(
    `${outFile}.tmp`,
    report({ runId, facts, workloads, results, infos, benchThreads: BENCH_THREADS }),
  );
  renameSync(`${rawFile}.tmp`, rawFile);
  renameSync(`${outFile}.tmp`, outFile);
  process.stderr.write(`[bench] wrote ${outFile}\n`);
}

/** The CPU line of the report's header. */
function cpuLine(cpu) {
  const isa = ['avx512f', 'avx2', 'fma'].filter((f) => cpu.flags.has(f)).join(', ');
  return (
    `${cpu.model} (family ${cpu.family}, model ${cpu.modelNo}), ${NCPU} logical CPUs, ${isa || 'no AVX2/AVX-512'}; ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; Linux ${release()}`
  );
}

/**
 * The run's facts when results.json predates them: read back from the RESULTS.md of the same run
 * (its header names the run id). Throws when RESULTS.md describes another run.
 */
function factsFromReport(runId, text) {
  const line = (re) => re.exec(text)?.[1];
  if (line(/^- Run: (.*?) \(the same id/m) !== runId) {
    throw new Error(
      `bench --render: bench/results.json (run ${runId}) has no machine facts and ${outFile} describes ` +
        'another run; rerun the benchmark instead',
    );
  }
  return {
    cpuLine: line(/^- CPU: (.*)$/m),
    node: line(/^- Node (\S+);/m),
    commit: line(/Stride commit (.*)$/m),
    rounds: Number(line(/Method: (\d+) interleaved rounds/)),
    batchSeconds: Number(line(/about ([\d.]+) s of iterations/)),
    forceCore: line(/PyTorch runs with OPENBLAS_CORETYPE=(\w+)/) ?? null,
    autoCore: line(/OpenBLAS \(auto kernel: (\w+)\)/) ?? null,
    resnetExport: line(/export_resnet18\.py \(([^)]*)\)/) ?? null,
    mobilenetExport: line(/export_mobilenet_v2\.mjs, ([^)]*)\)/) ?? null,
  };
}

/** `--render`: RESULTS.md again from results.json and the current notes; measures nothing. */
function render() {
  if (!existsSync(rawFile)) throw new Error(`bench --render: no ${rawFile}; run the benchmark first`);
  const raw = JSON.parse(readFileSync(rawFile, 'utf8'));
  const facts =
    raw.facts ?? factsFromReport(raw.runId, existsSync(outFile) ? readFileSync(outFile, 'utf8') : '');
  // Rows in the order the workload table lists them (results.json keeps the run's order when it has it).
  const workloads = raw.workloads ?? Object.keys(WORKLOADS).filter((w) => w in raw.results);
  const infos = new Map(Object.entries(raw.infos));
  writeFileSync(
    `${outFile}.tmp`,
    report({
      runId: raw.runId,
      facts,
      workloads,
      results: raw.results,
      infos,
      benchThreads: raw.threads,
    }),
  );
  renameSync(`${outFile}.tmp`, outFile);
  process.stderr.write(`[bench] rendered ${outFile} from ${rawFile} (run ${raw.runId})\n`);
}

/**
 * Peak resident memory of the rows marked `memory` in workloads.mjs: each engine that timed the
 * row runs it again alone in a fresh process (setup with warm-up, then 3 iterations) and reports
 * its peak resident set size (Node: process.resourceUsage().maxRSS; Python: ru_maxrss), so no
 * other row's buffers count. The number covers the whole process: runtime, library, model, data.
 */
async function measurePeakMemory(specs, workloads, results) {
  for (const w of workloads.filter((x) => WORKLOADS[x].memory)) {
    for (const [id, cmd, argv, env, ws] of specs) {
      const rec = results[w][id];
      if (!ws.includes(w) || !rec || rec.error) continue;
      process.stderr.write(`[bench] ${w}: peak memory of ${id}\n`);
      const e = new Engine(id, cmd, argv, env, [w]);
      try {
        await e.request('info', {}, 120_000);
        await e.request('setup', { workload: w });
        await e.request('run', { workload: w, iters: 3 });
        rec.peakRssBytes = (await e.request('memory')).maxRssBytes;
      } catch (err) {
        rec.memoryError = err.message.split('\n')[0];
      } finally {
        e.quit();
      }
    }
  }
}

function mib(bytes) {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : '–';
}

function report({ runId, facts, workloads, results, infos, benchThreads }) {
  const { forceCore, autoCore, resnetExport, mobilenetExport } = facts;
  const name = (id) => infos.get(id)?.name ?? id;
  const label = (id) =>
    id === 'openblas'
      ? `OpenBLAS (auto kernel: ${autoCore})`
      : id === 'openblas-forced'
        ? `OpenBLAS (OPENBLAS_CORETYPE=${forceCore})`
        : name(id);
  const threads = (id, w) => WORKLOADS[w].threads ?? infos.get(id)?.threads ?? '–';
  const isStride = (id) => id.startsWith('stride-');
  const lines = [];
  lines.push('# Stride benchmark results', '');
  lines.push(
    'Generated by `npm run bench` (bench/coordinator.mjs); every number below was measured in that run. ' +
      'Do not edit by hand: rerun the benchmark instead.',
    '',
  );
  lines.push(`- Run: ${runId} (the same id is in bench/results.json, the raw numbers of this run)`);
  lines.push(`- CPU: ${facts.cpuLine}`);
  lines.push(`- Node ${facts.node}; Stride commit ${facts.commit}`);
  lines.push(
    `- Threads: every engine runs ${benchThreads} (STRIDE_BENCH_THREADS; Stride's own default would be every online CPU), ` +
      'except where a row fixes the count (the GEMM rows) or an engine cannot thread (see the threads column).',
  );
  lines.push(
    `- Method: ${facts.rounds} interleaved rounds; in each round every engine runs one timed batch ` +
      `(about ${facts.batchSeconds} s of iterations, sized once after warm-up) in rotating order. ` +
      `Each cell is the median over rounds of the per-iteration rate, with the min–max over rounds. ` +
      `Noise guard: each batch waits (up to 20 s) for the machine to be idle; a batch during which other processes ` +
      `used more than ${MAX_OTHER_LOAD * 100}% of the machine is repeated (up to ${ATTEMPTS} attempts, the quietest kept).`,
  );
  if (forceCore) {
    lines.push(
      `- OpenBLAS ${autoCore ? `auto-selects the "${autoCore}" kernel on this CPU` : ''}; PyTorch runs with ` +
        `OPENBLAS_CORETYPE=${forceCore} (its AVX-512 kernel) so that its matmul is not handicapped. The GEMM rows show both.`,
    );
  }
  lines.push('');

  // Summary
  lines.push('## Summary (Stride native against the best peer)', '');
  lines.push('| workload | unit | Stride native | best peer | best peer value | Stride speed ÷ best peer |');
  lines.push('|---|---|---:|---|---:|---:|');
  const shortfalls = [];
  for (const w of workloads) {
    const rs = results[w];
    const stride = rs['stride-native'];
    const sv = stride && stride.values?.length ? median(stride.values) : NaN;
    let bestId = null;
    let bestV = NaN;
    for (const [id, r] of Object.entries(rs)) {
      if (isStride(id) || id === 'stride-reference' || !r.values?.length) continue;
      const v = median(r.values);
      if (bestId === null || (higherIsBetter(w) ? v > bestV : v < bestV)) {
        bestId = id;
        bestV = v;
      }
    }
    const ratio = bestId === null || !Number.isFinite(sv) ? NaN : higherIsBetter(w) ? sv / bestV : bestV / sv;
    if (Number.isFinite(ratio) && ratio < 1) shortfalls.push([w, ratio, bestId]);
    lines.push(
      `| ${WORKLOADS[w].title} | ${WORKLOADS[w].unit} | ${fmt(sv)} | ${bestId ? label(bestId) : '–'} | ${fmt(bestV)} | ${
        Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–'
      } |`,
    );
  }
  lines.push('');
  lines.push(
    '"Stride speed ÷ best peer" above 1 means Stride is faster (for ms rows: the peer\'s time ÷ Stride\'s time).',
    '',
  );

  // WebAssembly engines (issue 17): Stride's wasm backend against the in-browser peers, in Node, each
  // pair at the same thread count: onnxruntime-web at BENCH_THREADS, tfjs-wasm at 1 (its only one here).
  const wasmPairs = [
    ['stride-wasm', 'onnxruntime-web'],
    ['stride-wasm-1t', 'tfjs-wasm'],
  ];
  const wasmRows = workloads.filter((w) => results[w]['stride-wasm']?.values?.length);
  if (wasmRows.length) {
    const withThreads = (id) => `${label(id)} (${infos.get(id)?.threads ?? '–'} thr.)`;
    lines.push(
      '## WebAssembly in Node (Stride wasm against onnxruntime-web and tfjs-wasm, at equal thread counts)',
      '',
    );
    // Last column: Stride wasm at BENCH_THREADS against the best peer at its best setting here.
    lines.push(
      `| workload | unit | ${wasmPairs.map(([a, b]) => `${withThreads(a)} | ${withThreads(b)} | speed ÷`).join(' | ')} | ${withThreads('stride-wasm')} ÷ best peer |`,
    );
    lines.push(`|---|---|${wasmPairs.map(() => '---:|---:|---:|').join('')}---:|`);
    const value = (w, id) => (results[w][id]?.values?.length ? median(results[w][id].values) : NaN);
    for (const w of wasmRows) {
      const cells = wasmPairs.map(([a, b]) => {
        const sv = value(w, a);
        const pv = value(w, b);
        const ratio = higherIsBetter(w) ? sv / pv : pv / sv;
        return `${fmt(sv)} | ${fmt(pv)} | ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–'}`;
      });
      const peers = wasmPairs.map(([, b]) => value(w, b)).filter(Number.isFinite);
      const best = peers.length ? (higherIsBetter(w) ? Math.max(...peers) : Math.min(...peers)) : NaN;
      const overall = higherIsBetter(w) ? value(w, 'stride-wasm') / best : best / value(w, 'stride-wasm');
      lines.push(
        `| ${WORKLOADS[w].title} | ${WORKLOADS[w].unit} | ${cells.join(' | ')} | ${Number.isFinite(overall) ? `${overall.toFixed(2)}×` : '–'} |`,
      );
    }
    lines.push('');
  }

  // Thread scaling
  const scalingRows = workloads.filter((w) => WORKLOADS[w].base && workloads.includes(WORKLOADS[w].base));
  if (scalingRows.length) {
    lines.push('## Thread scaling (1 thread → the default count)', '');
    lines.push('| workload | engine | 1 thread | default threads | speed-up |');
    lines.push('|---|---|---:|---:|---:|');
    for (const w of scalingRows) {
      const base = WORKLOADS[w].base;
      for (const [id, r] of Object.entries(results[w])) {
        const b = results[base][id];
        if (!r.values?.length || !b?.values?.length) continue;
        const one = median(r.values);
        const many = median(b.values);
        const speedup = higherIsBetter(w) ? many / one : one / many;
        lines.push(
          `| ${WORKLOADS[base].title} (${WORKLOADS[w].unit}) | ${label(id)} | ${fmt(one)} | ${fmt(many)} (${threads(id, base)}) | ${speedup.toFixed(2)}× |`,
        );
      }
    }
    lines.push('');
  }

  // Peak memory
  const memoryRows = workloads.filter((w) => WORKLOADS[w].memory);
  if (memoryRows.length) {
    lines.push('## Peak memory (each engine alone in a fresh process)', '');
    lines.push('| workload | Stride native | lowest peer | its peak | Stride ÷ lowest peer |');
    lines.push('|---|---:|---|---:|---:|');
    for (const w of memoryRows) {
      const stride = results[w]['stride-native']?.peakRssBytes;
      let low = null;
      for (const [id, r] of Object.entries(results[w])) {
        if (isStride(id) || id === 'stride-reference' || !Number.isFinite(r.peakRssBytes)) continue;
        if (!low || r.peakRssBytes < low[1]) low = [id, r.peakRssBytes];
      }
      const ratio = low && Number.isFinite(stride) ? `${(stride / low[1]).toFixed(2)}×` : '–';
      lines.push(
        `| ${WORKLOADS[w].title} | ${mib(stride)} | ${low ? label(low[0]) : '–'} | ${mib(low?.[1])} | ${ratio} |`,
      );
    }
    lines.push(
      '',
      'Peak resident set size of the whole engine process (runtime, library, model, data) after setup, warm-up and 3 ' +
        'iterations of that row alone; "Stride ÷ lowest peer" below 1 means Stride used less memory.',
      '',
    );
  }

  // Per workload
  lines.push('## Per workload', '');
  for (const w of workloads) {
    lines.push(
      `### ${WORKLOADS[w].title} (${WORKLOADS[w].unit}, ${higherIsBetter(w) ? 'higher' : 'lower'} is better)`,
      '',
    );
    lines.push(
      '| engine | threads | median | min–max | median time per call | iterations per batch | other load (max) | peak RSS |',
    );
    lines.push('|---|---:|---:|---|---:|---:|---:|---:|');
    const rows = Object.entries(results[w]);
    rows.sort(([, a], [, b]) => {
      const va = a.values?.length ? median(a.values) : NaN;
      const vb = b.values?.length ? median(b.values) : NaN;
      if (!Number.isFinite(va)) return 1;
      if (!Number.isFinite(vb)) return -1;
      return higherIsBetter(w) ? vb - va : va - vb;
    });
    for (const [id, r] of rows) {
      if (r.error || !r.values?.length) {
        lines.push(
          `| ${label(id)} | ${threads(id, w)} | failed | ${(r.error ?? 'no result').replace(/\|/g, '/')} | | | | |`,
        );
        continue;
      }
      const lo = Math.min(...r.values);
      const hi = Math.max(...r.values);
      const load = Math.max(...r.otherLoads);
      lines.push(
        `| ${isStride(id) ? `**${label(id)}**` : label(id)} | ${threads(id, w)} | ${fmt(median(r.values))} | ${fmt(lo)}–${fmt(hi)} | ${fmt(secondsOf(w, median(r.values)) * 1000)} ms | ${r.iters} | ${(load * 100).toFixed(0)}% | ${r.memoryError ? 'failed' : mib(r.peakRssBytes)} |`,
      );
    }
    lines.push('');
  }

  // Versions
  lines.push('## Engines and versions', '');
  lines.push('| engine | version | threads |');
  lines.push('|---|---|---|');
  for (const [id, info] of infos) lines.push(`| ${label(id)} | ${info.version} | ${info.threads} |`);
  lines.push('');
  lines.push('## Notes', '');
  lines.push(
    '- tfjs-backend-wasm runs one thread in Node (its threaded build is disabled there); it cannot train conv nets ' +
      '(no Conv2DBackpropFilter kernel), so it appears only in W5. tfjs-cpu is too slow for the model rows (seconds per step).',
  );
  lines.push(
    '- onnxruntime-node runs W5 as single-node graphs written by bench/onnx-builder.mjs (the conv weight is an initializer; ' +
      'MatMul takes both operands as inputs) and W3 as the ResNet-18 exported from PyTorch by bench/export_resnet18.py' +
      (resnetExport ? ` (${resnetExport})` : '') +
      '. It has no training API, so W1, W2 and W4 compare with PyTorch and ConvNetJS only.',
  );
  if (workloads.some((w) => w.startsWith('mnv2'))) {
    lines.push(
      '- MobileNetV2 rows: Stride runs its zoo `mobilenet_v2` in eval mode under `noGrad`; onnxruntime runs the same model ' +
        "exported by Stride's ONNX exporter (bench/export_mobilenet_v2.mjs" +
        (mobilenetExport ? `, ${mobilenetExport}` : '') +
        '). PyTorch is absent there: Debian ships it without torchvision.',
    );
  }
  lines.push('- ConvNetJS computes in Float64Array, one image at a time, on one thread.');
  if (facts.strideRuntime === 'compiled') {
    lines.push(
      "- Stride's engines run src/ transpiled to JavaScript once per run (bench/compile-stride.mjs, esbuild), as users " +
        'of the package run it, not the TypeScript under tsx, whose loader thread would count in their peak memory.',
    );
  }
  lines.push(
    '- W5 conv: Stride runs this layer with Winograd F(4×4,3×3) (3×3, stride 1, 64→64 channels at 56×56 meets the ' +
      'eligibility rule in native/src/winograd.cc), which does fewer multiplications than a direct convolution. Every ' +
      "engine's GFLOP/s on this row is effective: the direct convolution's 2·9·64·64·56·56 FLOPs ÷ its time, whatever " +
      'algorithm it ran; the per-workload table gives the time per call.',
  );
  lines.push(
    '- W3 plain rows: Stride is called as users call it (`model.eval()`, `forward` under `st.noGrad`), which folds batch norm ' +
      'into the convolutions and applies ReLU in place by itself, without rewriting the model. ' +
      'W3 fused rows, what each engine fuses: Stride `st.fuseForInference` folds batch norm into the convolutions and applies ' +
      'ReLU in place on conv and residual-add outputs, and keeps GEMM weights packed; PyTorch `torch.fx.experimental.optimization.fuse` ' +
      'folds batch norm into the convolutions (ReLU stays separate); onnxruntime runs the same session in the plain and fused rows, ' +
      "with its graph optimizations at level 'all' (conv + batch norm folding, conv + activation and conv + add fusion, NCHWc layout) " +
      'applied at session creation.',
  );
  lines.push(
    '- "other load" is the share of all CPUs that other processes used during the kept batch (from /proc/stat).',
  );
  if (shortfalls.length) {
    lines.push('', '### Rows where Stride is behind', '');
    for (const [w, ratio, id] of shortfalls) {
      lines.push(
        `- **${WORKLOADS[w].title}**: ${((1 - ratio) * 100).toFixed(0)}% slower than ${label(id)}. ${SHORTFALL_NOTES[w] ?? ''}`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

if (flag('--render')) render();
else await main();
