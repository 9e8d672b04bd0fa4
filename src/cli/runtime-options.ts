import * as st from '../node.js';
import { UsageError, type OptionSpec } from './args.js';

/**
 * Options that choose where a command computes: spread them into the specs of any command that
 * runs a model (`{ ...runtimeOptions, ... }`) and call {@link applyRuntimeOptions} on the result.
 */
export const runtimeOptions = {
  backend: {
    type: 'string',
    help: 'compute backend; default: $STRIDE_BACKEND, else native when its addon is built, else reference',
    choices: ['native', 'reference'],
  },
  threads: {
    type: 'int',
    help: 'threads of the native backend; default: the number of CPU cores',
    min: 1,
    max: 256,
  },
} satisfies Record<string, OptionSpec>;

/**
 * Switch to the backend named by `--backend` and size the thread pool. (Without `--backend`, the
 * library has already chosen: `STRIDE_BACKEND`, else native when its addon is built.) A backend
 * that did not build is a usage error saying how to build it.
 */
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
  if (o.threads !== undefined) st.setNumThreads(o.threads);
}
