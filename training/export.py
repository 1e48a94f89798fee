"""Exports a trained coarse network to ONNX for Vanish.

1. Loads `last.pt`, switches to eval mode and runs a fixed check input.
2. Re-parameterises (model.py: batch norms folded, branches merged) and checks
   that the plain network gives the same output (max difference printed; the
   export fails above 1e-3 of the output range).
3. Exports with ONNX opset 13, one input `input` [1, 4, H, W] and one output
   `output` [1, 3, H, W], H and W dynamic (multiples of 32).
4. Writes the check input and PyTorch's output beside the model
   (`check-input.bin`, `check-output.bin`, float32 little-endian, and
   `check.json` with the shape), so that ONNX Runtime's output can be compared
   with PyTorch's where ONNX Runtime runs (test/training.test.ts does it).
"""
import argparse
import inspect
import json
import os
import sys

import numpy as np
import torch

from model import CoarseNet, parameter_count, stack_input


def check_input(size, seed):
    """A deterministic stacked input: smooth colours with a box hole."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    image = torch.stack([xx, yy, xx * yy]) * 0.8 + 0.1 * torch.randn(3, size, size, generator=g)
    known = torch.ones(1, size, size)
    known[:, size // 4: size // 2, size // 3: (2 * size) // 3] = 0
    return stack_input(image.unsqueeze(0).clamp(-1, 1), known.unsqueeze(0))


def main():
    ap = argparse.ArgumentParser(description="Export the coarse network to ONNX.")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True, help="folder for coarse.onnx and the check files")
    ap.add_argument("--check-size", type=int, default=128)
    args = ap.parse_args()
    if args.check_size % 32:
        sys.exit("export: --check-size must be a multiple of 32")

    state = torch.load(args.checkpoint, map_location="cpu")
    model = CoarseNet(widths=tuple(state["config"]["widths"]))
    model.load_state_dict(state["model"])
    model.eval()
    x = check_input(args.check_size, 7)
    with torch.no_grad():
        before = model(x)
        model.reparameterize()
        after = model(x)
    diff = (before - after).abs().max().item()
    scale = max(1.0, before.abs().max().item())
    print(f"export: step {state['step']}, {parameter_count(model)} parameters after re-parameterisation; "
          f"max difference {diff:.2e}", file=sys.stderr)
    if diff > 1e-3 * scale:
        sys.exit(f"export: re-parameterisation changed the output by {diff}")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "coarse.onnx")
    kwargs = dict(opset_version=13, input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {2: "height", 3: "width"}, "output": {2: "height", 3: "width"}})
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    tmp = onnx_path + ".tmp"
    torch.onnx.export(model, x, tmp, **kwargs)
    os.replace(tmp, onnx_path)
    x.numpy().astype("<f4").tofile(os.path.join(args.out, "check-input.bin"))
    after.numpy().astype("<f4").tofile(os.path.join(args.out, "check-output.bin"))
    with open(os.path.join(args.out, "check.json"), "w") as f:
        json.dump({"input": list(x.shape), "output": list(after.shape), "step": state["step"],
                   "widths": state["config"]["widths"]}, f)
    print(f"export: wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
