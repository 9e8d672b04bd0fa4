// The JavaScript an inference forward runs besides its kernels, measured directly: MobileNetV2 and
// ResNet-18 (eval + noGrad, as users call them) on a backend whose compute methods do nothing (the
// native backend's weight preparation still runs, so the forward takes its usual path). What is
// left is the layer tree, the geometry and weight caches, the buffer pool, tensor allocation and
// garbage collection: the time outside kernels without the kernels' effects on caches and cores.
// With `--before DIR` (a copy of an earlier commit's src/, `git archive COMMIT src | tar -x -C DIR`)
// the same models built by that code run too, the two alternating forward by forward.
//
// Usage: node --import tsx bench/outside-kernels.mjs [--reps N] [--batches 1,8] [--before DIR]
import { cpus } from 'node:os';

const arg = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const reps = Number(arg('--reps', '2000'));
const batches = arg('--batches', '1,8').split(',').map(Number);
const beforeDir = arg('--before', null);

/** Stride as built from `dir` (null: this checkout), with a 'stubbed' backend registered. */
async function load(dir) {
  const root = dir ? `${process.cwd()}/${dir}/src` : '../src';
  const st = await import(`${root}/node.js`);
  const registry = await import(`${root}/backend/registry.js`);
  st.setBackend('native');
  const native = registry.kernels();
  const stubbed = {};
  for (const key of Object.keys(native)) {
    const f = native[key];
    stubbed[key] = typeof f !== 'function' || key.startsWith('prepare') ? f : () => undefined;
  }
  stubbed.name = 'stubbed';
  registry.registerBackend(stubbed);
  return { st, registry };
}

const engines = [{ name: 'now', ...(await load(null)) }];
if (beforeDir) engines.push({ name: 'before', ...(await load(beforeDir)) });
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

console.log(
  `# Time outside kernels: forwards with every compute kernel stubbed out\n\n${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs; ` +
    `${reps} forwards per engine, alternating; microseconds per forward (median, mean: the mean includes garbage collection).\n`,
);
console.log(`| model | batch | ${engines.map((e) => `${e.name} median | ${e.name} mean`).join(' | ')} |`);
console.log(`|---|---:|${engines.map(() => '---:|---:').join('|')}|`);
for (const net of ['mobilenet_v2', 'resnet18']) {
  for (const batch of batches) {
    const runs = engines.map(({ st, registry }) => {
      st.manualSeed(0);
      const model = st.models[net]().eval();
      const x = st.randn([batch, 3, 224, 224]);
      return () => registry.withBackend('stubbed', () => st.noGrad(() => model.forward(x)));
    });
    const times = runs.map(() => []);
    for (const run of runs) for (let i = 0; i < 20; i++) run();
    for (let r = 0; r < reps; r++) {
      runs.forEach((run, k) => {
        const t0 = process.hrtime.bigint();
        run();
        times[k].push(Number(process.hrtime.bigint() - t0) / 1e3);
      });
    }
    console.log(
      `| ${net} | ${batch} | ${times.map((t) => `${median(t).toFixed(1)} | ${mean(t).toFixed(1)}`).join(' | ')} |`,
    );
  }
}
