// Side-by-side round-trip time of model.forwardAsync: `base` (a checkout given as a directory: the
// input copied and an Error stack captured per call), `new` (this checkout, default: the input
// copied, no stack captured) and `transfer` (this checkout, { transfer: true }: the input moved).
// Each variant in its own child process, the variants called in turn round after round (the order
// rotating), medians printed as JSON. Two cases: a tiny model on a tiny input (the per-call
// overhead) and a cheap model on a 8x3x224x224 input (4.8 MB: the copy).
//   nice node --import tsx scripts/results/forward-async-overhead.ts --base DIR [--reps 201]
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Case = 'tiny' | 'big';

async function child(root: string, transfer: boolean): Promise<void> {
  const st: typeof import('../../src/node.js') = await import(
    pathToFileURL(resolve(root, 'src/node.ts')).href
  );
  st.setBackend('native');
  st.manualSeed(0);
  const models: Record<Case, { model: import('../../src/node.js').Module; shape: number[] }> = {
    tiny: { model: new st.Sequential(new st.Conv2d(3, 4, 1)).eval(), shape: [1, 3, 4, 4] },
    big: { model: new st.Sequential(new st.MaxPool2d(8)).eval(), shape: [8, 3, 224, 224] },
  };
  for (const m of Object.values(models)) await m.model.forwardAsync(st.zeros(m.shape));
  process.on('message', (c: Case) => {
    const { model, shape } = models[c];
    const x = st.randn(shape); // made before the clock starts
    const t0 = performance.now();
    const p = transfer ? model.forwardAsync(x, { transfer: true } as never) : model.forwardAsync(x);
    void p.then(() => process.send!(performance.now() - t0));
  });
  process.send!('ready');
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await child(argv[1]!, argv[2] === 'transfer');
} else {
  const at = (name: string, dflt: string) =>
    argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1]! : dflt;
  const base = at('base', '');
  const reps = Number(at('reps', '201'));
  if (!base) throw new Error('usage: forward-async-overhead.ts --base DIR');
  const here = resolve(fileURLToPath(import.meta.url), '../../..');
  const variants = [
    ['base', base, ''],
    ['new', here, ''],
    ['transfer', here, 'transfer'],
  ].map(([name, root, mode]) => {
    const p = fork(fileURLToPath(import.meta.url), ['--child', root!, mode!], {
      execArgv: ['--import', 'tsx'],
    });
    p.on('exit', (code) => {
      if (code) throw new Error(`${name} exited with ${code}`);
    });
    const ready = new Promise<void>((ok) => p.once('message', () => ok()));
    const ask = (c: Case) =>
      new Promise<number>((ok) => {
        p.once('message', (m) => ok(m as number));
        p.send(c);
      });
    return { name: name!, p, ready, ask };
  });
  await Promise.all(variants.map((v) => v.ready));
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
  for (const c of ['tiny', 'big'] as Case[]) {
    const n = c === 'big' ? Math.ceil(reps / 4) : reps;
    const times = variants.map(() => [] as number[]);
    for (let r = 0; r < n + 3; r++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (k + r) % variants.length;
        const t = await variants[i]!.ask(c);
        if (r >= 3) times[i]!.push(t);
      }
    }
    const m = times.map(median);
    console.log(
      JSON.stringify({
        case: c,
        reps: n,
        ...Object.fromEntries(variants.map((v, i) => [`${v.name}Us`, +(m[i]! * 1000).toFixed(1)])),
        loadavg: loadavg().map((v) => +v.toFixed(1)),
        cpu: cpus()[0]?.model,
      }),
    );
  }
  for (const v of variants) v.p.kill();
}
