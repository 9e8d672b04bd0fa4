"""Export the benchmark's ResNet-18 (torchvision layout, random weights, eval mode) to ONNX for the
onnxruntime peer: opset 13, dynamic batch axis. Usage: python3 export_resnet18.py OUT.onnx"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "engines"))
from torch_models import ResNet18  # noqa: E402

torch.manual_seed(0)
model = ResNet18().eval()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(model, x, sys.argv[1], opset_version=13, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
