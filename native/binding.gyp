{
  "targets": [
    {
      "target_name": "stride_native",
      "sources": [
        "src/addon.cc",
        "src/activation.cc",
        "src/batch_norm.cc",
        "src/conv.cc",
        "src/conv_small_channels.cc",
        "src/conv_pointwise.cc",
        "src/conv_direct.cc",
        "src/depthwise.cc",
        "src/conv_clamp.cc",
        "src/cpu.cc",
        "src/elementwise.cc",
        "src/gemm.cc",
        "src/gemm_few_rows.cc",
        "src/gemm_kernels_avx2.cc",
        "src/gemm_kernels_avx512.cc",
        "src/gemm_kernels_scalar.cc",
        "src/gemm_pack.cc",
        "src/pool.cc",
        "src/max_pool_backward.cc",
        "src/reduce.cc",
        "src/thread_pool.cc",
        "src/winograd.cc",
        "src/workspace.cc",
        "src/roi.cc",
        "src/softmax.cc",
        "src/class_loss.cc",
        "src/pointwise_loss.cc"
      ],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-O0", "-std=gnu++17"],
      "cflags": ["-O3", "-fno-math-errno", "-fopenmp-simd", "-fvisibility=hidden", "-Wno-maybe-uninitialized"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno", "-fopenmp-simd", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"],
      "ldflags": ["-pthread"]
    }
  ]
}
