import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Start worker thread `entry` (a file name next to the module at `here`, without extension): the
 * compiled `.js` entry, or the TypeScript one under tsx when `here` is a `.ts` file (the tests).
 */
export function startWorkerThread(here: string, entry: string, opts: WorkerOptions = {}): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${entry}.js`, here), opts);
  // Running from the TypeScript sources (the tests, under tsx). Node 20 does not carry the parent's
  // module hooks into a worker, so the worker registers tsx itself before loading its entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const url = new URL(`./${entry}.ts`, here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { ...opts, eval: true });
}
