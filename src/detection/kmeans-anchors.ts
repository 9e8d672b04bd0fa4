import { ValueError } from '../errors.js';
import { Rng } from '../tensor/random.js';

/** Options of {@link kmeansAnchors}. */
export interface KmeansAnchorOptions {
  /** Seed of the initial centroids (default 0). */
  seed?: number;
  /** Stop after this many rounds (default 100) or when no assignment changes. */
  maxIterations?: number;
}

/** IoU of two boxes of sizes a and b placed at the same corner (YOLOv2's anchor distance is 1 − this). */
export function shapeIou(a: readonly [number, number], b: readonly [number, number]): number {
  const inter = Math.min(a[0], b[0]) * Math.min(a[1], b[1]);
  return inter / (a[0] * a[1] + b[0] * b[1] - inter);
}

/**
 * k-means anchors (the YOLOv2 recipe): cluster the [w, h] sizes of a dataset's boxes with the
 * distance 1 − IoU (so large boxes do not dominate as they would under Euclidean distance), each
 * centroid the mean size of its cluster. Returns the k anchors sorted by area and the mean IoU of
 * every box with its best anchor.
 */
export function kmeansAnchors(
  sizes: readonly (readonly [number, number])[],
  k: number,
  opts: KmeansAnchorOptions = {},
): { anchors: [number, number][]; meanIou: number } {
  const op = 'kmeansAnchors';
  if (!Number.isInteger(k) || k < 1 || k > sizes.length) {
    throw new ValueError(op, `k must be an integer in [1, ${sizes.length}] (the number of boxes), got ${k}`);
  }
  sizes.forEach((s, i) => {
    if (!(s[0] > 0 && s[1] > 0 && Number.isFinite(s[0]) && Number.isFinite(s[1]))) {
      throw new ValueError(op, `box ${i} has size [${s[0]}, ${s[1]}]; expected positive finite [w, h]`);
    }
  });
  const rng = new Rng(opts.seed ?? 0);
  // k distinct boxes as the initial centroids (a partial Fisher-Yates shuffle).
  const order = [...sizes.keys()];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng.next() * (order.length - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let centroids = order.slice(0, k).map((i) => [sizes[i]![0], sizes[i]![1]] as [number, number]);
  const assign = new Int32Array(sizes.length).fill(-1);
  const nearest = (s: readonly [number, number]) => {
    let best = 0;
    let bestIou = -1;
    centroids.forEach((c, j) => {
      const v = shapeIou(s, c);
      if (v > bestIou) {
        bestIou = v;
        best = j;
      }
    });
    return best;
  };
  for (let it = 0; it < (opts.maxIterations ?? 100); it++) {
    let changed = false;
    sizes.forEach((s, i) => {
      const j = nearest(s);
      if (assign[i] !== j) {
        assign[i] = j;
        changed = true;
      }
    });
    if (!changed) break;
    centroids = centroids.map((c, j) => {
      let w = 0;
      let h = 0;
      let m = 0;
      sizes.forEach((s, i) => {
        if (assign[i] === j) {
          w += s[0];
          h += s[1];
          m++;
        }
      });
      return m > 0 ? [w / m, h / m] : c;
    });
  }
  const meanIou =
    sizes.reduce((acc, s) => acc + Math.max(...centroids.map((c) => shapeIou(s, c))), 0) / sizes.length;
  return { anchors: centroids.sort((a, b) => a[0] * a[1] - b[0] * b[1]), meanIou };
}
