import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The environment variable naming a module (a path or a `file:` URL) that every Stride worker
 * thread imports before its entry: where custom layers are registered with `st.registerLayer`, so
 * that `forwardAsync` (and `stride serve`'s worker threads) can rebuild models that use them.
 */
export const WORKER_IMPORT_ENV = 'STRIDE_WORKER_IMPORT';

/** The URL of the module {@link WORKER_IMPORT_ENV} names, or null when it is not set. */
function workerImport(): string | null {
  const v = process.env[WORKER_IMPORT_ENV];
  if (!v) return null;
  if (v.startsWith('file:')) return v;
  return pathToFileURL(isAbsolute(v) ? v : resolve(v)).href;
}

/**
 * Start worker thread `entry` (a file name next to the module at `here`, without extension): the
 * compiled `.js` entry, or the TypeScript one under tsx when `here` is a `.ts` file (the tests).
 * When {@link WORKER_IMPORT_ENV} is set, the thread imports that module first.
 */
export function startWorkerThread(here: string, entry: string, opts: WorkerOptions = {}): Worker {
  const first = workerImport();
  const ts = here.endsWith('.ts');
  if (!ts && first === null) return new Worker(new URL(`./${entry}.js`, here), opts);
  const url = new URL(`./${entry}.${ts ? 'ts' : 'js'}`, here).href;
  const imports = [...(first ? [first] : []), url].map((u) => `await import(${JSON.stringify(u)});`);
  // Running from the TypeScript sources (the tests, under tsx): Node 20 does not carry the
  // parent's module hooks into a worker, so the worker registers tsx itself before its entry.
  const tsx = ts ? `(await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register();` : '';
  const boot = `(async () => { ${tsx} ${imports.join(' ')} })();`;
  return new Worker(boot, { ...opts, eval: true });
}
