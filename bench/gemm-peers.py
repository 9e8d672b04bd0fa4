"""The W5 sgemm and GEMM-kernel peers side by side in one process, alternating call by call.

    env -u OPENBLAS_CORETYPE /usr/bin/python3 bench/gemm-peers.py [REPS]

Times 1024^3 four ways on 2 threads: cblas_sgemm from libopenblas.so.0 as bench/engines/openblas_engine.py
calls it (setting the thread count on every call) and with the count set once, torch.matmul as the
W5 sgemm row calls it (allocating its output) and torch.mm(out=). Prints the BLAS behind torch and
its thread count before and after torch.set_num_threads(1), which shows whether torch's thread
setting reaches it. Other processes' load moves every number; read the ratios of one run (the CPU
time, every thread's, is the steadier measure of work on a loaded machine).
"""
import ctypes
import statistics
import sys
import time

import torch

N = 1024
REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 40
ob = ctypes.CDLL("libopenblas.so.0")
sgemm = ob.cblas_sgemm
sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                       ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
a, b, c, c2 = torch.randn(N, N), torch.randn(N, N), torch.empty(N, N), torch.empty(N, N)
torch.mm(a, b)  # loads torch's BLAS
torch_blas = ctypes.CDLL("libblas.so.3")
for lib in (ob, torch_blas):
    lib.openblas_get_corename.restype = ctypes.c_char_p
torch.set_num_threads(1)
torch.mm(a, b)
after_one = torch_blas.openblas_get_num_threads()
torch.set_num_threads(2)
print(f"libopenblas.so.0 kernel {ob.openblas_get_corename().decode()}; torch's libblas.so.3 kernel "
      f"{torch_blas.openblas_get_corename().decode()}, {torch_blas.openblas_get_num_threads()} threads "
      f"({after_one} after torch.set_num_threads(1))")


def engine_call():
    ob.openblas_set_num_threads(2)
    set_once()


def set_once():
    sgemm(101, 111, 111, N, N, N, 1.0, a.data_ptr(), N, b.data_ptr(), N, 0.0, c.data_ptr(), N)


def torch_alloc():
    with torch.inference_mode():
        torch.matmul(a, b)


def torch_out():
    with torch.inference_mode():
        torch.mm(a, b, out=c2)


ob.openblas_set_num_threads(2)
ways = {"cblas_sgemm, threads set per call (engine)": engine_call, "cblas_sgemm, threads set once": set_once,
        "torch.matmul (W5 sgemm row)": torch_alloc, "torch.mm(out=)": torch_out}
wall = {k: [] for k in ways}
cpu = {k: [] for k in ways}
for f in ways.values():
    f()
    f()
for _ in range(REPS):
    for k, f in ways.items():
        c0, t0 = time.process_time(), time.perf_counter()
        f()
        wall[k].append(time.perf_counter() - t0)
        cpu[k].append(time.process_time() - c0)
print(f"1024^3 on 2 threads, median of {REPS} alternating calls")
for k in ways:
    print(f"  {k:44s} {2 * N ** 3 / statistics.median(wall[k]) / 1e9:7.1f} GFLOP/s (wall)   "
          f"cpu {1e3 * statistics.median(cpu[k]):6.2f} ms per call")
