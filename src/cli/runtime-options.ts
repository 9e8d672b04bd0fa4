import * as st from '../node.js';
import { UsageError, type OptionSpec } from './args.js';

/**
 * Options that choose where a command computes: spread them into the specs of any command that
 * runs a model (`{ ...runtimeOptions, ... }`) and call {@link applyRuntimeOptions} on the result.
 */
export const runtimeOptions = {
  backend: {
    type: 'string',
    help: 'compute backend (wasm: the WebAssembly build of the native kernels); default: $STRIDE_BACKEND, else native when its addon is built, else reference',
    choices: ['native', 'wasm', 'reference'],
  },
  threads: {
    type: 'int',
    help: 'threads of the native backend (default: the number of CPU cores) or of the wasm one (default: min(cores, 4))',
    min: 1,
    max: 256,
  },
} satisfies Record<string, OptionSpec>;

/**
 * Switch to the backend named by `--backend` and size the thread pool. (Without `--backend`, the
 * library has already chosen: `STRIDE_BACKEND`, else native when its addon is built.) A backend
 * that did not build is a usage error saying how to build it.
 */
/** The value of `--name V` / `--name=V` in raw arguments (the last one), or undefined. */
function rawOption(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  argv.forEach((a, i) => {
    if (a === `--${name}`) value = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
  });
  return value;
}

/**
 * The wasm backend loads asynchronously, so the CLI loads it before a command runs when the
 * command's arguments say `--backend wasm` or `STRIDE_BACKEND=wasm` (which also makes it the
 * active backend), on `--threads` threads when given. The command's own parse then checks the
 * options as usual. A failed load is an error naming the cause.
 */
export async function loadWasmIfAsked(argv: readonly string[]): Promise<void> {
  const fromArgs = rawOption(argv, 'backend') === 'wasm';
  const fromEnv = process.env['STRIDE_BACKEND'] === 'wasm';
  if (!fromArgs && !fromEnv) return;
  const threads = Number(rawOption(argv, 'threads'));
  try {
    await st.initWasmBackend(Number.isInteger(threads) && threads >= 1 && threads <= 256 ? { threads } : {});
  } catch (e) {
    throw new UsageError(
      `${fromArgs ? '--backend wasm' : 'STRIDE_BACKEND=wasm'}: the WebAssembly module did not load (${(e as Error).message}); use --backend native or reference`,
    );
  }
  if (fromEnv && rawOption(argv, 'backend') === undefined) st.setBackend('wasm');
}

export function applyRuntimeOptions(o: { backend?: string | undefined; threads?: number | undefined }): void {
  if (o.backend !== undefined) {
    if (!st.listBackends().includes(o.backend)) {
      throw new UsageError(
        o.backend === 'native'
          ? "--backend native: the native addon is not built; build it with 'npm run build:native' (or 'npm rebuild stride' in a project that depends on Stride), or use --backend reference"
          : `--backend names no backend '${o.backend}'; available: ${st.listBackends().join(', ')}`,
      );
    }
    st.setBackend(o.backend);
  }
  // The wasm backend took its thread count when it loaded (loadWasmIfAsked).
  if (o.threads !== undefined && st.backend() !== 'wasm') st.setNumThreads(o.threads);
}
