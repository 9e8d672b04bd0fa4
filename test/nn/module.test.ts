import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

/** A residual-free block with a nested Sequential, for dotted names two levels deep. */
class Block extends st.Module {
  conv1 = new st.Conv2d(4, 4, 3, { padding: 1, bias: false });
  bn1 = new st.BatchNorm2d(4);
  head = new st.Sequential(new st.ReLU(), new st.Conv2d(4, 2, 1));
  forward(x: st.Tensor): st.Tensor {
    return this.head.forward(this.bn1.forward(this.conv1.forward(x)));
  }
}

function smallNet(): st.Sequential {
  return new st.Sequential(
    new st.Conv2d(3, 4, 3, { padding: 1 }),
    new st.BatchNorm2d(4),
    new st.ReLU(),
    new Block(),
    new st.Flatten(),
    new st.Dropout(0.5),
    new st.Linear(2 * 4 * 4, 3),
  );
}

// Hand-written from PyTorch's naming rules: own parameters, own buffers, then children in order.
const EXPECTED_KEYS = [
  '0.weight',
  '0.bias',
  '1.weight',
  '1.bias',
  '1.running_mean',
  '1.running_var',
  '1.num_batches_tracked',
  '3.conv1.weight',
  '3.bn1.weight',
  '3.bn1.bias',
  '3.bn1.running_mean',
  '3.bn1.running_var',
  '3.bn1.num_batches_tracked',
  '3.head.1.weight',
  '3.head.1.bias',
  '6.weight',
  '6.bias',
];

describe('Module registration and state dict', () => {
  it('names parameters and buffers like PyTorch', () => {
    const net = smallNet();
    assert.deepEqual(Object.keys(net.stateDict()), EXPECTED_KEYS);
    assert.deepEqual(
      net.namedParameters().map(([n]) => n),
      EXPECTED_KEYS.filter((k) => !k.includes('running') && !k.includes('num_batches')),
    );
    assert.deepEqual(
      net.namedBuffers().map(([n]) => n),
      [
        '1.running_mean',
        '1.running_var',
        '1.num_batches_tracked',
        '3.bn1.running_mean',
        '3.bn1.running_var',
        '3.bn1.num_batches_tracked',
      ],
    );
    assert.deepEqual(
      net.namedModules().map(([n]) => n),
      ['', '0', '1', '2', '3', '3.conv1', '3.bn1', '3.head', '3.head.0', '3.head.1', '4', '5', '6'],
    );
    assert.deepEqual(
      new Block().namedChildren().map(([n]) => n),
      ['conv1', 'bn1', 'head'],
    );
  });

  it('keys buffers with the shapes PyTorch uses (num_batches_tracked is 0-d)', () => {
    const sd = smallNet().stateDict();
    assert.deepEqual([...sd['1.running_mean']!.shape], [4]);
    assert.deepEqual([...sd['1.num_batches_tracked']!.shape], []);
    assert.deepEqual([...sd['3.conv1.weight']!.shape], [4, 4, 3, 3]);
    assert.deepEqual([...sd['6.weight']!.shape], [3, 32]);
  });

  it('leaves out non-persistent buffers and null parameters', () => {
    class WithScratch extends st.Module {
      lin = new st.Linear(2, 2, { bias: false });
      constructor() {
        super();
        this.registerBuffer('scratch', st.zeros([2]), { persistent: false });
        this.registerBuffer('kept', st.ones([1]));
      }
      forward(x: st.Tensor): st.Tensor {
        return this.lin.forward(x);
      }
    }
    const m = new WithScratch();
    assert.deepEqual(Object.keys(m.stateDict()), ['kept', 'lin.weight']);
    assert.deepEqual(
      m.namedBuffers().map(([n]) => n),
      ['scratch', 'kept'],
    );
  });

  it('round-trips a state dict into a fresh model, copying in place', () => {
    const a = smallNet();
    const b = smallNet();
    const w = b.at(0) as st.Conv2d;
    const before = w.weight;
    b.loadStateDict(a.stateDict());
    assert.equal(w.weight, before, 'the Parameter object is kept (optimizers hold it)');
    assert.deepEqual([...w.weight.data], [...(a.at(0) as st.Conv2d).weight.data]);
    const sa = a.stateDict();
    const sb = b.stateDict();
    for (const k of EXPECTED_KEYS) assert.deepEqual([...sb[k]!.data], [...sa[k]!.data], k);
  });

  it('refuses a bad state dict listing missing, unexpected and mis-shaped keys, loading nothing', () => {
    const net = smallNet();
    const dict = net.stateDict();
    const original = [...(net.at(0) as st.Conv2d).weight.data];
    const bad: st.StateDict = { ...dict };
    delete bad['1.running_var'];
    delete bad['6.bias'];
    bad['7.weight'] = st.zeros([2]);
    bad['0.weight'] = st.zeros([4, 1, 3, 3]);
    bad['0.bias'] = st.ones([4]);
    assert.throws(
      () => net.loadStateDict(bad),
      (e: unknown) => {
        assert.ok(e instanceof st.StateDictError);
        assert.deepEqual(e.missingKeys, ['1.running_var', '6.bias']);
        assert.deepEqual(e.unexpectedKeys, ['7.weight']);
        assert.deepEqual(
          e.mismatchedKeys.map((m) => [m.key, [...m.expected], [...m.got]]),
          [['0.weight', [4, 3, 3, 3], [4, 1, 3, 3]]],
        );
        assert.match(e.message, /missing keys \(2\): 1\.running_var, 6\.bias/);
        assert.match(e.message, /unexpected keys \(1\): 7\.weight/);
        assert.match(e.message, /0\.weight: model \[4, 3, 3, 3\], state dict \[4, 1, 3, 3\]/);
        assert.match(e.message, /Fix: /);
        return true;
      },
    );
    assert.deepEqual([...(net.at(0) as st.Conv2d).weight.data], original, 'nothing was written');
    assert.notEqual((net.at(0) as st.Conv2d).bias!.data[0], 1);
  });

  it('loads the matching keys with {strict: false} and reports the rest; shape mismatches still throw', () => {
    const net = smallNet();
    const partial: st.StateDict = { '6.bias': st.tensor([1, 2, 3]), 'extra.weight': st.zeros([1]) };
    const report = net.loadStateDict(partial, { strict: false });
    assert.deepEqual([...(net.at(6) as st.Linear).bias!.data], [1, 2, 3]);
    assert.deepEqual(report.unexpectedKeys, ['extra.weight']);
    assert.equal(report.missingKeys.length, EXPECTED_KEYS.length - 1);
    assert.throws(() => net.loadStateDict({ '6.bias': st.zeros([4]) }, { strict: false }), st.StateDictError);
  });
});

describe('Module modes, freezing and bookkeeping', () => {
  it('propagates train()/eval() to every submodule', () => {
    const net = smallNet();
    assert.ok(net.modules().every((m) => m.training));
    net.eval();
    assert.ok(net.modules().every((m) => !m.training));
    net.train();
    assert.ok(net.modules().every((m) => m.training));
  });

  it('freezes and unfreezes all parameters or those matching a pattern', () => {
    const net = smallNet();
    const trainable = () =>
      net
        .namedParameters()
        .filter(([, p]) => p.requiresGrad)
        .map(([n]) => n);
    net.freeze('3');
    assert.deepEqual(trainable(), ['0.weight', '0.bias', '1.weight', '1.bias', '6.weight', '6.bias']);
    net.unfreeze('3.head');
    assert.deepEqual(trainable(), [
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '3.head.1.weight',
      '3.head.1.bias',
      '6.weight',
      '6.bias',
    ]);
    net.unfreeze();
    net.freeze('*.bias');
    assert.deepEqual(trainable(), [
      '0.weight',
      '1.weight',
      '3.conv1.weight',
      '3.bn1.weight',
      '3.head.1.weight',
      '6.weight',
    ]);
    net.unfreeze().freeze([/^[01]\./, '6.weight']);
    assert.deepEqual(trainable(), [
      '3.conv1.weight',
      '3.bn1.weight',
      '3.bn1.bias',
      '3.head.1.weight',
      '3.head.1.bias',
      '6.bias',
    ]);
    net.freeze();
    assert.deepEqual(trainable(), []);
    assert.equal(net.numParameters({ trainableOnly: true }), 0);
    assert.throws(() => net.freeze('featurs'), /matches no parameter.*names look like 0\.weight/s);
  });

  it('counts parameters, shared tensors once', () => {
    const lin = new st.Linear(3, 2);
    const tied = new st.Sequential(lin, new st.ReLU(), lin);
    assert.equal(lin.numParameters(), 8);
    assert.equal(tied.numParameters(), 8);
    assert.equal(tied.parameters().length, 2);
  });

  it('zeroGrad clears every gradient', () => {
    const net = new st.Sequential(new st.Linear(3, 2), new st.Tanh(), new st.Linear(2, 1));
    net
      .forward(st.randn([4, 3]))
      .sum()
      .backward();
    assert.ok(net.parameters().every((p) => p.grad !== null));
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === null));
  });

  it('replaces submodules by assignment, index or dotted path', () => {
    class Net extends st.Module {
      body = new st.Sequential(new st.Linear(4, 4), new st.ReLU());
      fc = new st.Linear(4, 10);
      forward(x: st.Tensor): st.Tensor {
        return this.fc.forward(this.body.forward(x));
      }
    }
    const net = new Net();
    net.fc = new st.Linear(4, 2);
    assert.deepEqual([...net.forward(st.zeros([1, 4])).shape], [1, 2]);
    net.body[1] = new st.Tanh();
    assert.ok(net.getSubmodule('body.1') instanceof st.Tanh);
    net.setSubmodule('body.0', new st.Identity());
    assert.deepEqual(Object.keys(net.stateDict()), ['fc.weight', 'fc.bias']);
    assert.throws(() => net.getSubmodule('body.7'), /no child '7'.*children are 0, 1/);
  });

  it('prints a PyTorch-style tree', () => {
    const net = new st.Sequential(
      new st.Conv2d(3, 8, 3, { padding: 'same' }),
      new st.Sequential(new st.ReLU()),
    );
    assert.equal(
      net.toString(),
      [
        'Sequential(',
        '  (0): Conv2d(3, 8, kernelSize=[3, 3], stride=[1, 1], padding=same)',
        '  (1): Sequential(',
        '    (0): ReLU()',
        '  )',
        ')',
      ].join('\n'),
    );
  });

  it('says which layer failed, with its dotted path and input shape', () => {
    const net = smallNet();
    assert.throws(
      () => net.forward(st.zeros([2, 5, 4, 4])),
      (e: unknown) => {
        assert.ok(e instanceof st.ShapeError);
        assert.match(e.message, /in layer '0': Conv2d\(3, 4, .*input shape \[2, 5, 4, 4\]/);
        return true;
      },
    );
    assert.throws(
      () => net.forward(st.zeros([2, 3, 5, 5])),
      /in layer '6': Linear\(inFeatures=32.*input shape \[2, 50\]/,
    );
  });
});

describe('Forward hooks', () => {
  it('see every submodule with its input and output shape, in execution order', () => {
    const net = smallNet().eval();
    const seen: string[] = [];
    const names = new Map(net.namedModules().map(([n, m]) => [m, n]));
    const handles = net
      .modules()
      .map((m) =>
        m.registerForwardHook(
          (mod, inputs, out) =>
            void seen.push(
              `${names.get(mod) || 'model'} ${mod.typeName} [${inputs[0]!.shape.join(',')}]->[${out.shape.join(',')}]`,
            ),
        ),
      );
    net.forward(st.zeros([2, 3, 4, 4]));
    assert.deepEqual(seen, [
      '0 Conv2d [2,3,4,4]->[2,4,4,4]',
      '1 BatchNorm2d [2,4,4,4]->[2,4,4,4]',
      '2 ReLU [2,4,4,4]->[2,4,4,4]',
      '3.conv1 Conv2d [2,4,4,4]->[2,4,4,4]',
      '3.bn1 BatchNorm2d [2,4,4,4]->[2,4,4,4]',
      '3.head.0 ReLU [2,4,4,4]->[2,4,4,4]',
      '3.head.1 Conv2d [2,4,4,4]->[2,2,4,4]',
      '3.head Sequential [2,4,4,4]->[2,2,4,4]',
      '3 Block [2,4,4,4]->[2,2,4,4]',
      '4 Flatten [2,2,4,4]->[2,32]',
      '5 Dropout [2,32]->[2,32]',
      '6 Linear [2,32]->[2,3]',
      'model Sequential [2,3,4,4]->[2,3]',
    ]);
    for (const h of handles) h.remove();
    seen.length = 0;
    net.forward(st.zeros([1, 3, 4, 4]));
    assert.deepEqual(seen, []);
  });

  it('pre-hooks run first and may replace inputs; hooks may replace outputs; remove() is idempotent', () => {
    const relu = new st.ReLU();
    const order: string[] = [];
    const pre = relu.registerForwardPreHook((_m, [x]) => {
      order.push('pre');
      return [x!.neg()];
    });
    const post = relu.registerForwardHook((_m, _in, out) => {
      order.push('post');
      return out.mul(10);
    });
    assert.deepEqual(relu.forward(st.tensor([-1, 2])).toArray(), [10, 0]);
    assert.deepEqual(order, ['pre', 'post']);
    pre.remove();
    pre.remove();
    post.remove();
    assert.deepEqual(relu.forward(st.tensor([-1, 2])).toArray(), [0, 2]);
  });

  it('see submodules called from a user-defined forward, and super.forward skips a second run', () => {
    class Scaled extends st.Linear {
      override forward(x: st.Tensor): st.Tensor {
        return super.forward(x).mul(2);
      }
    }
    const lin = new Scaled(2, 2);
    let calls = 0;
    lin.registerForwardHook(() => void calls++);
    lin.forward(st.zeros([1, 2]));
    assert.equal(calls, 1);
  });
});
