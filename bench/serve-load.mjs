#!/usr/bin/env node
// Load test of `stride serve` (autocannon, loopback only, bounded in time): requests/s, p50/p99
// latency and errors for LeNet-5 and ResNet-18 (zoo architectures, seeded untrained weights),
// with dynamic batching on and off, next to a minimal fastify + onnxruntime-node server running
// the same model exported to ONNX by Stride. Writes bench/SERVE-RESULTS.md and .json.
//
//   node --import tsx bench/serve-load.mjs [--seconds 5] [--connections 8]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as st from '../src/node.ts';

const { fetch, performance } = globalThis;

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg('seconds', 5);
const connections = arg('connections', 8);
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

function load(url, body) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections,
        duration: seconds,
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
  const served = st.load(dir).eval();
  st.fuseForInference(served);
  const x = st.rand([1, ...m.shape]);
  st.noGrad(() => served.forward(x));
  rows.push({
    model: m.name,
    check:
      `per request, in-process: JSON.parse of the ${(body.length / 1e6).toFixed(2)} MB body ` +
      `${median(() => JSON.parse(body)).toFixed(1)} ms, forward pass (fused, noGrad, batch 1) ` +
      `${median(() => st.noGrad(() => served.forward(x))).toFixed(1)} ms`,
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
    { seconds, connections, cores: cpus().length, loadAtStart: Number(loadAtStart), rows },
    null,
    2,
  ) + '\n',
);
console.log(md);
