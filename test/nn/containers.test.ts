import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';

describe('Sequential', () => {
  it('is indexable by position (negative too) and by name, like PyTorch', () => {
    const a = new st.Linear(2, 3);
    const b = new st.ReLU();
    const c = new st.Linear(3, 1);
    const seq = new st.Sequential(a, b, c);
    assert.equal(seq.length, 3);
    assert.equal(seq[0], a);
    assert.equal(seq.at(-1), c);
    assert.equal(seq.get('1'), b);
    assert.deepEqual([...seq], [a, b, c]);
    assert.throws(() => seq.at(3), /index 3 is out of range for a Sequential of 3 layers/);
  });

  it('takes named layers whose names become the state-dict prefixes', () => {
    const seq = new st.Sequential({
      conv: new st.Conv2d(1, 2, 3),
      act: new st.ReLU(),
      fc: new st.Linear(2, 1),
    });
    assert.deepEqual(Object.keys(seq.stateDict()), ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias']);
    assert.ok(seq[1] instanceof st.ReLU);
    assert.ok(seq.get('fc') instanceof st.Linear);
    assert.throws(() => seq.get('nope'), /no layer named 'nope'; the layers are conv, act, fc/);
  });

  it('slices keep names and share modules; appending and replacing keep keys consistent', () => {
    const seq = new st.Sequential(new st.Linear(2, 3), new st.ReLU(), new st.Linear(3, 4));
    const head = seq.slice(0, -1);
    assert.equal(head.length, 2);
    assert.equal(head[0], seq[0]);
    assert.deepEqual([...head.forward(st.zeros([1, 2])).shape], [1, 3]);
    seq.append(new st.Softmax(1), 'probs');
    assert.deepEqual(
      seq.namedChildren().map(([n]) => n),
      ['0', '1', '2', 'probs'],
    );
    seq.set(-2, new st.Linear(3, 5));
    assert.deepEqual([...seq.forward(st.zeros([1, 2])).shape], [1, 5]);
    assert.throws(() => seq.append(new st.ReLU(), 'probs'), /already named 'probs'/);
    assert.throws(
      () => new st.Sequential(new st.ReLU(), 3 as unknown as st.Module),
      /argument 1 is not a Module/,
    );
  });
});

describe('Graph (functional API)', () => {
  function residual(): { g: st.Graph; conv1: st.Conv2d } {
    const g = new st.Graph();
    const x = g.input([2, 4, 4]);
    const conv1 = new st.Conv2d(2, 2, 3, { padding: 1 });
    let h = g.add('conv1', conv1, x);
    h = g.add('bn1', new st.BatchNorm2d(2), h);
    h = g.add(new st.ReLU(), h);
    const block = new st.Sequential(new st.Conv2d(2, 2, 1), new st.BatchNorm2d(2));
    const b = g.add('block', block, x);
    const sum = g.add('sum', new st.Add(), h, b);
    const cat = g.add('cat', new st.Concat(), sum, x);
    g.output(g.add('head', new st.Conv2d(4, 3, 1), cat));
    return { g, conv1 };
  }

  it('produces PyTorch-style dotted state-dict keys from node names', () => {
    const { g } = residual();
    assert.deepEqual(Object.keys(g.stateDict()), [
      'conv1.weight',
      'conv1.bias',
      'bn1.weight',
      'bn1.bias',
      'bn1.running_mean',
      'bn1.running_var',
      'bn1.num_batches_tracked',
      'block.0.weight',
      'block.0.bias',
      'block.1.weight',
      'block.1.bias',
      'block.1.running_mean',
      'block.1.running_var',
      'block.1.num_batches_tracked',
      'head.weight',
      'head.bias',
    ]);
    assert.deepEqual(
      g.nodes().map((n) => `${n.name}<-${n.inputs.join('+')}`),
      [
        'input<-',
        'conv1<-input',
        'bn1<-conv1',
        'relu<-bn1',
        'block<-input',
        'sum<-relu+block',
        'cat<-sum+input',
        'head<-cat',
      ],
    );
  });

  it('computes the residual add and the channel concat', () => {
    const { g } = residual();
    g.eval();
    const x = st.randn([2, 2, 4, 4], { seed: 3 });
    const conv1 = g.getSubmodule('conv1');
    const bn1 = g.getSubmodule('bn1');
    const block = g.getSubmodule('block');
    const head = g.getSubmodule('head');
    const h = st.relu(bn1.forward(conv1.forward(x)));
    const expected = head.forward(st.concat([h.add(block.forward(x)), x], 1));
    assertClose(g.forward(x), expected);
  });

  it('runs every layer through forward, so hooks see each node with its shapes', () => {
    const { g } = residual();
    const names = new Map(g.namedModules().map(([n, m]) => [m, n]));
    const seen: string[] = [];
    for (const m of g.modules()) {
      m.registerForwardHook((mod, ins, out) => {
        seen.push(
          `${names.get(mod) || 'graph'}: ${ins.map((t) => `[${t.shape.join(',')}]`).join(' ')} -> [${out.shape.join(',')}]`,
        );
      });
    }
    g.forward(st.zeros([1, 2, 4, 4]));
    assert.deepEqual(seen, [
      'conv1: [1,2,4,4] -> [1,2,4,4]',
      'bn1: [1,2,4,4] -> [1,2,4,4]',
      'relu: [1,2,4,4] -> [1,2,4,4]',
      'block.0: [1,2,4,4] -> [1,2,4,4]',
      'block.1: [1,2,4,4] -> [1,2,4,4]',
      'block: [1,2,4,4] -> [1,2,4,4]',
      'sum: [1,2,4,4] [1,2,4,4] -> [1,2,4,4]',
      'cat: [1,2,4,4] [1,2,4,4] -> [1,4,4,4]',
      'head: [1,4,4,4] -> [1,3,4,4]',
      'graph: [1,2,4,4] -> [1,3,4,4]',
    ]);
  });

  it('trains end to end: gradients reach every branch', () => {
    const { g } = residual();
    st.square(g.forward(st.randn([2, 2, 4, 4], { seed: 1 })))
      .mean()
      .backward();
    for (const [n, p] of g.namedParameters()) assert.ok(p.grad !== null, `${n} has a gradient`);
  });

  it('shares weights when a module is applied twice, and supports several inputs and outputs', () => {
    const g = new st.Graph();
    const a = g.input([3], 'left');
    const b = g.input([3], 'right');
    const enc = new st.Linear(3, 2);
    const ea = g.add('encoder', enc, a);
    const eb = g.add(enc, b);
    const diff = g.add('diff', new st.Add(), ea, eb);
    g.output(diff, ea);
    assert.deepEqual(Object.keys(g.stateDict()), ['encoder.weight', 'encoder.bias']);
    assert.equal(eb.name, 'encoder_1');
    const x = st.tensor([[1, 2, 3]]);
    const y = st.tensor([[0, 1, 0]]);
    const [sum, left] = g.forwardAll(x, y);
    assertClose(sum!, enc.forward(x).add(enc.forward(y)));
    assertClose(left!, enc.forward(x));
    assert.throws(() => g.forward(x, y), /has 2 outputs \(diff, encoder\).*forwardAll/);
    assert.throws(() => g.add('other', enc, a), /already in the graph as 'encoder'/);
  });

  it('checks inputs: declared shape, count, and nodes of another graph', () => {
    const { g } = residual();
    assert.throws(
      () => g.forward(st.zeros([1, 3, 4, 4])),
      /input 'input' does not have its declared shape: expected \[N, 2, 4, 4\]/,
    );
    assert.throws(() => g.forward(), /takes 1 input\(s\) \(input\), got 0/);
    const other = new st.Graph();
    const foreign = other.input();
    assert.throws(() => g.add('x', new st.ReLU(), foreign), /a node of another graph/);
    assert.throws(() => new st.Graph().forward(st.zeros([1])), /no outputs yet/);
  });

  it('names the failing node in errors', () => {
    const g = new st.Graph();
    const x = g.input();
    g.output(g.add('fc', new st.Linear(4, 2), g.add('flat', new st.Flatten(), x)));
    assert.throws(
      () => g.forward(st.zeros([1, 2, 3])),
      /in layer 'fc': Linear\(inFeatures=4.*input shape \[1, 6\]/,
    );
  });

  it('nests: a Graph inside a Sequential gives deeper dotted names', () => {
    const g = new st.Graph();
    const x = g.input();
    g.output(g.add('fc', new st.Linear(2, 2), x));
    const model = new st.Sequential(g, new st.ReLU());
    assert.deepEqual(Object.keys(model.stateDict()), ['0.fc.weight', '0.fc.bias']);
    assert.match(
      model.toString(),
      /\(0\): Graph\(\n {4}inputs=\[input\], outputs=\[fc\]\n {4}\(fc\): Linear/,
    );
  });
});
