"""OpenBLAS cblas_sgemm called directly (ctypes) at a fixed thread count, for the GEMM rows.

The kernel OpenBLAS picks depends on OPENBLAS_CORETYPE, which the coordinator sets (or not) in this
process's environment; info() reports the kernel name.
"""
import ctypes

import torch  # only for aligned, initialized float32 buffers

from engine_loop import serve

lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
lib.openblas_get_config.restype = ctypes.c_char_p
sgemm = lib.cblas_sgemm
sgemm.argtypes = [ctypes.c_int] * 6 + [ctypes.c_float, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                                       ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
ROW_MAJOR, NO_TRANS = 101, 111
N = 1024
a, b, c = torch.randn(N, N), torch.randn(N, N), torch.empty(N, N)


def info():
    config = lib.openblas_get_config().decode().split()
    version = config[1] if len(config) > 1 else "?"
    return {"name": "OpenBLAS", "version": f"{version}, kernel {lib.openblas_get_corename().decode()}",
            "threads": "per row"}


def run(workload):
    lib.openblas_set_num_threads(1 if workload == "gemm-1t" else 2)
    sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, N, N, N, 1.0, a.data_ptr(), N, b.data_ptr(), N, 0.0, c.data_ptr(), N)


def setup(workload):
    if workload not in ("gemm-1t", "gemm-2t"):
        raise ValueError("openblas: no workload " + workload)
    run(workload)
    return None


serve(info, setup, run)
