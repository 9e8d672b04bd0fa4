/** One line of a classification answer. */
export interface ClassScore {
  /** The class name (its index as text when the model recorded no names). */
  label: string;
  index: number;
  /** Probability in [0, 1]. */
  score: number;
}

/**
 * The `k` highest-scoring classes of one output row. Logits are turned into probabilities with a
 * softmax; a row that already is a distribution (non-negative, summing to 1) is used as it is.
 */
export function topClasses(row: Float32Array, k: number, classNames: readonly string[] | null): ClassScore[] {
  let sum = 0;
  let max = -Infinity;
  let negative = false;
  for (const v of row) {
    sum += v;
    if (v > max) max = v;
    if (v < 0) negative = true;
  }
  let probs: Float64Array;
  if (!negative && Math.abs(sum - 1) < 1e-3) probs = Float64Array.from(row);
  else {
    probs = Float64Array.from(row, (v) => Math.exp(v - max));
    const z = probs.reduce((a, b) => a + b, 0);
    for (let i = 0; i < probs.length; i++) probs[i]! /= z;
  }
  const order = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]! || a - b);
  return order.slice(0, Math.min(k, order.length)).map((index) => ({
    label: classNames?.[index] ?? String(index),
    index,
    score: probs[index]!,
  }));
}
