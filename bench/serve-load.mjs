#!/usr/bin/env node
// Load test of `stride serve` (autocannon, loopback only, bounded in time): requests/s, p50/p99
// latency and errors for LeNet-5 and ResNet-18 (zoo architectures, seeded untrained weights),
// with dynamic batching on and off, next to a minimal fastify + onnxruntime-node server running
// the same model exported to ONNX by Stride. Writes bench/SERVE-RESULTS.md and .json.
//
// Then, for LeNet-5, a paired run: the onnxruntime server and Stride's (batching off and on) up at
// once, autocannon on each in turn for --rounds rounds of --round-seconds, reporting the median
// req/s and the median server CPU time per request (from /proc, Linux), which a busy shared
// machine disturbs far less than req/s.
//
//   node --import tsx bench/serve-load.mjs [--seconds 5] [--connections 8] [--rounds 5] [--round-seconds 3]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as st from '../src/node.ts';
import { parseInferRequest, inferResponse } from '../src/serve/infer-request.ts';
import { prepareServedModel } from '../src/serve/served-model.ts';

const { fetch, performance } = globalThis;

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg('seconds', 5);
const connections = arg('connections', 8);
const rounds = arg('rounds', 5);
const roundSeconds = arg('round-seconds', 3);
const tmp = mkdtempSync(join(tmpdir(), 'stride-serve-bench-'));
const loadAtStart = loadavg()[0].toFixed(1);

/** Start a server process and resolve with it once it prints its URL. */
function startServer(argv) {
  const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
  });
}

async function stop(server) {
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system, all threads) a process has used so far; null where /proc is missing. */
function cpuSeconds(pid) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return null;
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function load(url, body, duration = seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections,
        duration,
        timeout: 60,
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
  });
}

async function firstOutput(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return (await r.json()).outputs[0].data;
}

const models = [
  { name: 'lenet5', shape: [1, 32, 32] },
  { name: 'resnet18', shape: [3, 224, 224] },
];
const rows = [];
for (const m of models) {
  st.manualSeed(0);
  const model = st.getModel(m.name).eval();
  const dir = join(tmp, m.name);
  st.save(model, dir);
  const onnx = join(tmp, `${m.name}.onnx`);
  writeFileSync(onnx, st.exportOnnx(model, st.zeros([1, ...m.shape])));
  st.manualSeed(1);
  const body = JSON.stringify({
    inputs: [
      {
        name: 'input',
        shape: [1, ...m.shape],
        datatype: 'FP32',
        data: Array.from(st.rand([1, ...m.shape]).data),
      },
    ],
  });
  // Where a request's time goes, measured in this process on the same body (median of 3).
  const median = (f) => {
    const ts = [0, 1, 2].map(() => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    });
    return ts.sort((a, b) => a - b)[1];
  };
  const served = prepareServedModel(st.load(dir), { name: m.name, version: '1', source: dir });
  const parsed = JSON.parse(body);
  const x = parseInferRequest(parsed, served, 64).input;
  const y = st.noGrad(() => served.module.forward(x));
  rows.push({
    model: m.name,
    check:
      `per request, in-process: JSON.parse of the ${(body.length / 1e6).toFixed(2)} MB body ` +
      `${median(() => JSON.parse(body)).toFixed(2)} ms, validating it into a tensor (parseInferRequest) ` +
      `${median(() => parseInferRequest(parsed, served, 64)).toFixed(2)} ms, forward pass (fused, noGrad, batch 1) ` +
      `${median(() => st.noGrad(() => served.module.forward(x))).toFixed(2)} ms, response body ` +
      `${median(() => JSON.stringify(inferResponse(served, y, undefined))).toFixed(2)} ms`,
  });
  const configs = [
    { label: 'stride serve, batching on (max 8)', argv: ['--max-batch', '8'] },
    { label: 'stride serve, batching off', argv: ['--max-batch', '1'] },
    {
      label: 'stride serve, batching off, forward in a worker thread',
      argv: ['--max-batch', '1', '--main-thread-macs', '0'],
    },
    {
      label: 'stride serve, batching off, forward on the main thread',
      argv: ['--max-batch', '1', '--in-thread'],
    },
    { label: 'fastify + onnxruntime-node', ort: true },
  ];
  const outputs = [];
  for (const c of configs) {
    const server = c.ort
      ? await startServer(
          ['bench/serve-ort-baseline.mjs', onnx, '0'].map((a, i) =>
            i === 2 ? String(40000 + rows.length) : a,
          ),
        )
      : await startServer([
          '--import',
          'tsx',
          'src/cli/main.ts',
          'serve',
          `${m.name}=${dir}`,
          '--port',
          '0',
          '--queue',
          '1024',
          ...c.argv,
        ]);
    const url = `${server.url}/v2/models/${m.name}/infer`;
    outputs.push(await firstOutput(url, body));
    const r = await load(url, body);
    await stop(server);
    const row = {
      model: m.name,
      server: c.label,
      requestsPerSecond: r.requests.average,
      p50ms: r.latency.p50,
      p99ms: r.latency.p99,
      requests: r.requests.total,
      errors: r.errors + r.timeouts + r.non2xx,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  const diff = Math.max(...outputs[0].map((v, i) => Math.abs(v - outputs.at(-1)[i])));
  rows.push({ model: m.name, check: `max |stride - onnxruntime| on one input: ${diff.toExponential(2)}` });
}

// Paired rounds for LeNet-5: all servers up at once, measured in turn, so that each round sees
// about the same machine load.
const paired = [];
{
  st.manualSeed(0);
  const model = st.getModel('lenet5').eval();
  const dir = join(tmp, 'paired-lenet5');
  st.save(model, dir);
  const onnx = join(tmp, 'paired-lenet5.onnx');
  writeFileSync(onnx, st.exportOnnx(model, st.zeros([1, 1, 32, 32])));
  st.manualSeed(1);
  const body = JSON.stringify({
    inputs: [
      {
        name: 'input',
        shape: [1, 1, 32, 32],
        datatype: 'FP32',
        data: Array.from(st.rand([1, 1, 32, 32]).data),
      },
    ],
  });
  const stride = (extra) => [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    `lenet5=${dir}`,
    '--port',
    '0',
    '--queue',
    '1024',
    ...extra,
  ];
  const servers = [
    {
      label: 'fastify + onnxruntime-node',
      server: await startServer(['bench/serve-ort-baseline.mjs', onnx, '40100']),
    },
    { label: 'stride serve, batching off', server: await startServer(stride(['--max-batch', '1'])) },
    { label: 'stride serve, batching on (max 8)', server: await startServer(stride(['--max-batch', '8'])) },
  ];
  for (const s of servers) {
    s.rps = [];
    s.cpuUs = [];
    s.errors = 0;
    await firstOutput(`${s.server.url}/v2/models/lenet5/infer`, body);
  }
  for (let r = 0; r < rounds; r++) {
    for (const s of servers) {
      const c0 = cpuSeconds(s.server.child.pid);
      const res = await load(`${s.server.url}/v2/models/lenet5/infer`, body, roundSeconds);
      const c1 = cpuSeconds(s.server.child.pid);
      s.rps.push(res.requests.average);
      if (c0 !== null && c1 !== null && res.requests.total > 0)
        s.cpuUs.push(((c1 - c0) * 1e6) / res.requests.total);
      s.errors += res.errors + res.timeouts + res.non2xx;
    }
  }
  for (const s of servers) await stop(s.server);
  const med = (v) => (v.length === 0 ? null : [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]);
  const base = servers[0];
  for (const s of servers) {
    const row = {
      server: s.label,
      medianRequestsPerSecond: med(s.rps),
      ratioToOnnxruntime: med(s.rps) / med(base.rps),
      medianCpuMicrosecondsPerRequest: med(s.cpuUs),
      cpuRatioToOnnxruntime: med(s.cpuUs) === null ? null : med(s.cpuUs) / med(base.cpuUs),
      rounds: s.rps,
      errors: s.errors,
    };
    paired.push(row);
    console.log(JSON.stringify(row));
  }
}
rmSync(tmp, { recursive: true, force: true });

const table = rows
  .filter((r) => r.server)
  .map(
    (r) =>
      `| ${r.model} | ${r.server} | ${r.requestsPerSecond.toFixed(1)} | ${r.p50ms} | ${r.p99ms} | ${r.requests} | ${r.errors} |`,
  );
const md = `# stride serve under load

\`node --import tsx bench/serve-load.mjs --seconds ${seconds} --connections ${connections}\` on ${new Date().toISOString().slice(0, 16)} UTC,
${cpus().length} CPU cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}. Loopback only; autocannon
with ${connections} connections for ${seconds} s per row, one single-sample FP32 JSON infer request repeated.
Each server runs in its own process. 1-minute load average at the start: ${loadAtStart} (on ${cpus().length} cores);
the machine is shared with other jobs, so the numbers are noisy.

| model | server | req/s | p50 ms | p99 ms | requests | errors |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
${table.join('\n')}

${rows
  .filter((r) => r.check)
  .map((r) => `- ${r.model}: ${r.check}`)
  .join('\n')}

## LeNet-5, paired rounds

The three servers up at once; autocannon (${connections} connections, ${roundSeconds} s) on each in turn, ${rounds} rounds,
so that every round sees about the same load. Medians over the rounds; CPU per request is the
server process's user + system time (all its threads) over the requests it answered.

| server | req/s (median) | x onnxruntime | CPU us / request (median) | x onnxruntime | req/s per round | errors |
| --- | ---: | ---: | ---: | ---: | --- | ---: |
${paired
  .map(
    (p) =>
      `| ${p.server} | ${p.medianRequestsPerSecond.toFixed(1)} | ${p.ratioToOnnxruntime.toFixed(2)} | ${p.medianCpuMicrosecondsPerRequest?.toFixed(0) ?? 'n/a'} | ${p.cpuRatioToOnnxruntime?.toFixed(2) ?? 'n/a'} | ${p.rounds.map((v) => v.toFixed(0)).join(', ')} | ${p.errors} |`,
  )
  .join('\n')}
`;
const write = (name, text) => {
  const p = join(here, name);
  writeFileSync(`${p}.tmp`, text);
  renameSync(`${p}.tmp`, p);
};
write('SERVE-RESULTS.md', md);
write(
  'SERVE-RESULTS.json',
  JSON.stringify(
    {
      seconds,
      connections,
      cores: cpus().length,
      loadAtStart: Number(loadAtStart),
      rows,
      rounds,
      roundSeconds,
      paired,
    },
    null,
    2,
  ) + '\n',
);
console.log(md);
