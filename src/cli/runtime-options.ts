import * as st from '../node.js';
import { backendFromEnv } from './backend-env.js';
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
 * Switch to the backend named by `--backend` (else `STRIDE_BACKEND`) and size the thread pool.
 * A backend that does not exist or did not build is a usage error naming where it came from.
 */
export function applyRuntimeOptions(o: { backend?: string | undefined; threads?: number | undefined }): void {
  const [name, from] =
    o.backend !== undefined
      ? [o.backend, '--backend']
      : [backendFromEnv, 'the environment variable STRIDE_BACKEND'];
  if (name !== undefined) {
    if (!st.listBackends().includes(name)) {
      throw new UsageError(
        name === 'native'
          ? `${from} asks for the native backend, but its addon is not built; build it with 'npm run build:native' or use --backend reference`
          : `${from} names no backend '${name}'; available: ${st.listBackends().join(', ')}`,
      );
    }
    st.setBackend(name);
    process.env['STRIDE_BACKEND'] = name;
  }
  if (o.threads !== undefined) st.setNumThreads(o.threads);
}
