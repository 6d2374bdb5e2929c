"""How long DeepSpeed's FusedAdam takes to JIT-build (nvcc + ninja on its first use), and whether it steps like torch's AdamW.

A DeepSpeed installed without prebuilt ops (``DS_BUILD_OPS=0``, the PyPI sdist's default) compiles
FusedAdam the first time an engine asks for it, then loads it from the torch extensions cache
(``TORCH_EXTENSIONS_DIR``, default ~/.cache/torch_extensions) in later processes. Figures, not a test:

    python benchmarks/fused_adam_build.py --json fused_adam_build.json

On a machine without CUDA DeepSpeed's CPU accelerator builds its CPU FusedAdam instead (g++), so the
script's own path can be tried anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path


def _cached(name: str) -> bool:
    """Whether a built ``name`` extension is already in the torch extensions cache (then nothing is compiled)."""
    from torch.utils.cpp_extension import _get_build_directory

    try:
        folder = Path(_get_build_directory(name, verbose=False))
    except Exception:  # noqa: BLE001 - a private helper: a changed signature only loses this figure
        return False
    return any(folder.glob(f"{name}*.so"))


def adam_step_difference(steps: int = 3) -> float:
    """Max |FusedAdam - torch.optim.AdamW| over a few steps on one random fp32 tensor (same hyper-parameters)."""
    import torch
    from deepspeed.accelerator import get_accelerator
    from deepspeed.ops.adam import FusedAdam

    device = get_accelerator().device_name()
    torch.manual_seed(0)
    a = torch.randn(4096, 257, device=device)
    b = a.clone()
    pa, pb = torch.nn.Parameter(a), torch.nn.Parameter(b)
    kw = {"lr": 1e-3, "betas": (0.9, 0.95), "eps": 1e-8, "weight_decay": 0.1}
    fused, ref = FusedAdam([pa], adam_w_mode=True, **kw), torch.optim.AdamW([pb], **kw)
    for _ in range(steps):
        g = torch.randn_like(a)
        pa.grad, pb.grad = g.clone(), g.clone()
        fused.step()
        ref.step()
    return float((pa.detach() - pb.detach()).abs().max())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)

    start = time.perf_counter()
    import torch
    from deepspeed.accelerator import get_accelerator

    import_s = time.perf_counter() - start
    accelerator = get_accelerator()
    builder = accelerator.create_op_builder("FusedAdamBuilder")
    figures = {
        "accelerator": accelerator._name, "torch": torch.__version__, "torch_cuda": torch.version.cuda,
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "torch_cuda_arch_list": os.environ.get("TORCH_CUDA_ARCH_LIST"), "max_jobs": os.environ.get("MAX_JOBS"),
        "torch_extensions_dir": os.environ.get("TORCH_EXTENSIONS_DIR"),
        "cached_before": _cached(builder.name), "import_s": import_s,
        "ok": False, "build_s": None, "max_abs_diff_vs_torch_adamw": None, "error": None,
    }
    try:
        built = time.perf_counter()
        builder.load(verbose=False)
        figures["build_s"] = time.perf_counter() - built
        figures["ok"] = True
        figures["max_abs_diff_vs_torch_adamw"] = adam_step_difference()
    except Exception as e:  # noqa: BLE001 - the failure is the figure
        figures["error"] = f"{type(e).__name__}: {e}"[-3000:]
        traceback.print_exc()
    print(json.dumps(figures, indent=2))
    if figures["ok"]:
        print(f"\nFusedAdam {'loaded from the cache' if figures['cached_before'] else 'JIT-built'} in "
              f"{figures['build_s']:.1f} s; max |FusedAdam - AdamW| after 3 steps {figures['max_abs_diff_vs_torch_adamw']:.2e}")
    else:
        print(f"\nFusedAdam could not be built: {figures['error'][-500:]}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
