"""PyTorch side of bench/w2-layers.mjs: times the W2 step's layer ops on request (JSON lines)."""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)
N = 32
CONVS = [(3, 16, 32), (16, 20, 16), (20, 20, 8)]  # (in, out, size), 5x5 pad 2


def ops():
    out = {}
    for i, (c, o, s) in enumerate(CONVS):
        x = torch.randn(N, c, s, s)
        w = torch.randn(o, c, 5, 5)
        b = torch.randn(o)
        y = F.conv2d(x, w, b, padding=2)
        dy = torch.randn_like(y)
        mask = [c > 3, True, True]
        out[f"conv{i+1} forward"] = lambda x=x, w=w, b=b: F.conv2d(x, w, b, padding=2)
        out[f"conv{i+1} backward-filter"] = lambda x=x, w=w, dy=dy: torch.ops.aten.convolution_backward(
            dy, x, w, [o], [1, 1], [2, 2], [1, 1], False, [0, 0], 1, [False, True, True])
        if c > 3:
            out[f"conv{i+1} backward-data"] = lambda x=x, w=w, dy=dy: torch.ops.aten.convolution_backward(
                dy, x, w, None, [1, 1], [2, 2], [1, 1], False, [0, 0], 1, [True, False, False])
        r = torch.relu(y)
        p, idx = F.max_pool2d_with_indices(r, 2, 2)
        dp = torch.randn_like(p)
        out[f"relu{i+1} forward"] = lambda y=y: torch.relu(y)
        out[f"relu{i+1} backward"] = lambda y=y, dy=dy: torch.ops.aten.threshold_backward(dy, y, 0)
        out[f"pool{i+1} forward"] = lambda r=r: F.max_pool2d_with_indices(r, 2, 2)
        out[f"pool{i+1} backward"] = lambda r=r, dp=dp, idx=idx: torch.ops.aten.max_pool2d_with_indices_backward(
            dp, r, [2, 2], [2, 2], [0, 0], [1, 1], False, idx)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Conv2d(16, 20, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Conv2d(20, 20, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Flatten(1), torch.nn.Linear(320, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xs = torch.randn(N, 3, 32, 32)
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
