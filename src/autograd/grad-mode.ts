let enabled = true;

/** Whether operations currently record the graph for backward. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Run `fn` without recording the autograd graph (inference, weight updates). Results do not
 * require gradients. Returns what `fn` returns.
 */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Run `fn` with graph recording on, even inside {@link noGrad}. */
export function enableGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
