#!/usr/bin/env python3
"""tests/helpers/armnn_run.py — runs a .tflite in ArmNN's TfLite parser on the CpuRef backend.

Usage: armnn_run.py MODEL.tflite INPUT.raw OUTPUT.raw
INPUT.raw is float32 in the model's input layout (NHWC); OUTPUT.raw gets the first output as
float32. Exits 77 when pyarmnn cannot be imported (Debian python3-pyarmnn), 1 on any other error."""
import sys

try:
    import numpy as np
    import pyarmnn as ann
except ImportError as e:  # pragma: no cover
    print(f"SKIP: pyarmnn not importable ({e}); apt-get install python3-pyarmnn libarmnntfliteparser22 "
          "libarmnn-cpuref-backend22", file=sys.stderr)
    sys.exit(77)

model, inp, outp = sys.argv[1:4]
parser = ann.ITfLiteParser()
network = parser.CreateNetworkFromBinaryFile(model)
graph = 0
in_name = parser.GetSubgraphInputTensorNames(graph)[0]
out_name = parser.GetSubgraphOutputTensorNames(graph)[0]
in_binding = parser.GetNetworkInputBindingInfo(graph, in_name)
out_binding = parser.GetNetworkOutputBindingInfo(graph, out_name)
runtime = ann.IRuntime(ann.CreationOptions())
opt, messages = ann.Optimize(network, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(), ann.OptimizerOptions())
net_id, _ = runtime.LoadNetwork(opt)
x = np.fromfile(inp, dtype=np.float32)
shape = tuple(in_binding[1].GetShape()[i] for i in range(in_binding[1].GetNumDimensions()))
x = x.reshape(shape)
inputs = ann.make_input_tensors([in_binding], [x])
outputs = ann.make_output_tensors([out_binding])
runtime.EnqueueWorkload(net_id, inputs, outputs)
y = ann.workload_tensors_to_ndarray(outputs)[0].astype(np.float32)
y.tofile(outp)
print(f"armnn CpuRef: {in_name} {shape} -> {out_name} {y.shape}")
