"""PyTorch as a benchmark engine (STRIDE_BENCH_THREADS threads, set by the coordinator; matmul through the
system BLAS, convolutions through oneDNN)."""
import ctypes
import ctypes.util
import os

import torch
import torch.nn.functional as F

from engine_loop import serve
from torch_models import ResNet18, convnetjs_cifar10, lenet5

THREADS = int(os.environ.get("STRIDE_BENCH_THREADS", "2"))
torch.set_num_threads(THREADS)
steps = {}
# Rows that fix their own thread count (thread scaling); the others run THREADS.
ROW_THREADS = {"w3-b1-1t": 1, "w3-b8-1t": 1, "w4-1t": 1}
BASE = {"w3-b1-1t": "w3-b1", "w3-b8-1t": "w3-b8", "w4-1t": "w4"}


def blas_name():
    """The BLAS behind torch.matmul: OpenBLAS reports its kernel name; anything else is named generically."""
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        forced = os.environ.get("OPENBLAS_CORETYPE")
        return "OpenBLAS, kernel " + lib.openblas_get_corename().decode() + (" (OPENBLAS_CORETYPE)" if forced else "")
    except (OSError, AttributeError):
        return "libblas.so.3 (not OpenBLAS)"


def info():
    return {"name": "PyTorch", "version": f"{torch.__version__} ({blas_name()})", "threads": THREADS}


def trainer(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    model.train()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def use_threads(workload):
    n = ROW_THREADS.get(workload, THREADS)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def setup(row):
    use_threads(row)
    torch.manual_seed(0)
    workload = BASE.get(row, row)
    if workload == "w5-conv":
        x, w = torch.randn(1, 64, 56, 56), torch.randn(64, 64, 3, 3)

        def step():
            with torch.inference_mode():
                F.conv2d(x, w, padding=1)
    elif workload == "w5-sgemm":
        a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)

        def step():
            with torch.inference_mode():
                torch.matmul(a, b)
    elif workload == "w1":
        step = trainer(lenet5(), torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,)))
    elif workload == "w2":
        step = trainer(convnetjs_cifar10(), torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,)))
    elif workload in ("w3-b1", "w3-b8", "w3f-b1", "w3f-b8"):
        model = ResNet18().eval()
        if workload.startswith("w3f"):
            # PyTorch's own inference fusion: conv + batch norm folded by torch.fx.
            from torch.fx.experimental.optimization import fuse
            model = fuse(model)
        x = torch.randn(1 if workload.endswith("b1") else 8, 3, 224, 224)

        def step():
            with torch.inference_mode():
                model(x)
    elif workload == "w4":
        step = trainer(ResNet18(), torch.randn(8, 3, 224, 224), torch.randint(0, 1000, (8,)))
    else:
        raise ValueError("torch: no workload " + workload)
    step()
    step()
    steps[row] = step
    return None


def run(row):
    use_threads(row)
    steps[row]()


serve(info, setup, run)
