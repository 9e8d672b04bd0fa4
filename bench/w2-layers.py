"""PyTorch side of bench/w2-layers.mjs: times the W2 (or W1) step's layer ops on request (JSON lines).

Arguments: threads, net ('w2' or 'w1')."""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from engines.torch_models import convnetjs_cifar10, lenet5

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)
NET = sys.argv[2] if len(sys.argv) > 2 else "w2"
# Per net: batch, convolutions (in, out, input size, padding; 5x5, each then ReLU and a 2x2 max pool),
# the model and its input shape.
NETS = {
    "w2": (32, [(3, 16, 32, 2), (16, 20, 16, 2), (20, 20, 8, 2)], convnetjs_cifar10, (3, 32, 32)),
    "w1": (64, [(1, 6, 28, 2), (6, 16, 14, 0)], lenet5, (1, 28, 28)),
}
N, CONVS, MODEL, INPUT = NETS[NET]


def ops():
    out = {}
    for i, (c, o, s, pad) in enumerate(CONVS):
        x = torch.randn(N, c, s, s)
        w = torch.randn(o, c, 5, 5)
        b = torch.randn(o)
        y = F.conv2d(x, w, b, padding=pad)
        dy = torch.randn_like(y)
        mask = [c > 3, True, True]
        out[f"conv{i+1} forward"] = lambda x=x, w=w, b=b, pad=pad: F.conv2d(x, w, b, padding=pad)
        out[f"conv{i+1} backward-filter"] = lambda x=x, w=w, dy=dy, o=o, pad=pad: torch.ops.aten.convolution_backward(
            dy, x, w, [o], [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, [False, True, True])
        if c > 3:
            out[f"conv{i+1} backward-data"] = lambda x=x, w=w, dy=dy, pad=pad: torch.ops.aten.convolution_backward(
                dy, x, w, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, [True, False, False])
        r = torch.relu(y)
        p, idx = F.max_pool2d_with_indices(r, 2, 2)
        dp = torch.randn_like(p)
        out[f"relu{i+1} forward"] = lambda y=y: torch.relu(y)
        out[f"relu{i+1} backward"] = lambda y=y, dy=dy: torch.ops.aten.threshold_backward(dy, y, 0)
        out[f"pool{i+1} forward"] = lambda r=r: F.max_pool2d_with_indices(r, 2, 2)
        out[f"pool{i+1} backward"] = lambda r=r, dp=dp, idx=idx: torch.ops.aten.max_pool2d_with_indices_backward(
            dp, r, [2, 2], [2, 2], [0, 0], [1, 1], False, idx)
    model = MODEL()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xs = torch.randn(N, *INPUT)
    ys = torch.randint(0, 10, (N,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xs), ys)
        loss.backward()
        opt.step()
    out["whole step"] = step
    return out


OPS = ops()
for line in sys.stdin:
    msg = json.loads(line)
    fn = OPS[msg["op"]]
    for _ in range(2):
        fn()
    times = []
    for _ in range(msg["reps"]):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    sys.stdout.write(json.dumps({"ms": statistics.median(times) * 1e3}) + "\n")
    sys.stdout.flush()
