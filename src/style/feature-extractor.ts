import { ValueError } from '../errors.js';
import { Graph, type GraphNode } from '../nn/graph.js';
import { GlobalAvgPool2d, GlobalMaxPool2d } from '../nn/pooling.js';

/**
 * A graph that computes the activations of the named layers of `graph` (in the order given) and
 * nothing after them: it shares `graph`'s modules (and so its weights) step by step up to the last
 * named layer, declares its input without a fixed size (convolutional features work at any
 * resolution), and leaves `graph` unchanged. Classification heads after the last named layer are
 * never run.
 *
 * `opts.pooling` ('avg' | 'max') reduces each named layer's `[N, C, H, W]` output to `[N, C]`
 * (Keras applications' `pooling` option), as a node `<layer>_pool`.
 *
 * @example const features = st.featureExtractor(backbone, ['block_1_expand_relu', 'block_6_expand_relu']);
 * const [low, mid] = features.forwardAll(image);
 */
export function featureExtractor(
  graph: Graph,
  layers: readonly string[],
  opts: { pooling?: 'avg' | 'max' } = {},
): Graph {
  if (layers.length === 0) {
    throw new ValueError(
      'featureExtractor',
      'needs at least one layer name. Fix: pass e.g. the names from graph.nodes()',
    );
  }
  const steps = graph.nodes();
  if (graph.inputNames.length !== 1) {
    throw new ValueError(
      'featureExtractor',
      `works on graphs with one input, this one has ${graph.inputNames.length} (${graph.inputNames.join(', ')})`,
    );
  }
  const wanted = layers.map((name) => {
    const i = steps.findIndex((s) => s.name === name);
    if (i < 0 || steps[i]!.module === null) {
      const names = steps.filter((s) => s.module !== null).map((s) => s.name);
      throw new ValueError(
        'featureExtractor',
        `the graph has no layer '${name}'. Its layers include ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, ... (${names.length} in all; see graph.nodes())` : ''}`,
      );
    }
    return i;
  });
  const last = Math.max(...wanted);
  // Only the steps the wanted layers depend on.
  const needed = new Set<number>();
  const stack = [...wanted];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (needed.has(i)) continue;
    needed.add(i);
    for (const name of steps[i]!.inputs) stack.push(steps.findIndex((s) => s.name === name));
  }
  const out = new Graph();
  const nodes = new Map<string, GraphNode>();
  for (let i = 0; i <= last; i++) {
    const s = steps[i]!;
    if (!needed.has(i)) continue;
    if (s.module === null) nodes.set(s.name, out.input(undefined, s.name));
    else nodes.set(s.name, out.add(s.name, s.module, ...s.inputs.map((n) => nodes.get(n)!)));
  }
  const pool = (name: string): GraphNode => {
    const node = nodes.get(name)!;
    if (opts.pooling === undefined) return node;
    return out.add(
      `${name}_pool`,
      opts.pooling === 'avg' ? new GlobalAvgPool2d() : new GlobalMaxPool2d(),
      node,
    );
  };
  return out.output(...layers.map(pool));
}
