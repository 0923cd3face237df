"""The v3 infill model against the box warp, window by window, at the model's working size (128x72).

    python benchmarks/tiny_v3_infill_windows.py WEIGHTS.safetensors [--windows 256]

WEIGHTS: an exported `v3-infill` model (or a run's `model.safetensors`). The windows are the infill model's
own training task (`renderers.tiny.v3.train._ResidualInfill`) on held-out world seeds (100 past the held-out
set the trainer logs). Prints the squared error pooled over windows as PSNR (what the hard windows rule), the
mean PSNR over windows (what `bench_tiny_v3.py --only infill` averages), how often the model beats the warp,
and the error on the tenth of windows the warp gets worst beside the rest.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch


def main() -> None:
    from safetensors.torch import load_file

    from renderers.tiny.v3.train import HELD_OUT_SEEDS, V3Options, _ResidualInfill

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("weights")
    parser.add_argument("--windows", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task = _ResidualInfill(V3Options(model="v3-infill"))
    task.module.load_state_dict(load_file(args.weights))
    task.module.eval()
    seeds = list(range(HELD_OUT_SEEDS + 100, HELD_OUT_SEEDS + 100 + args.windows))
    model, warp = [], []
    with torch.no_grad():
        for first in range(0, len(seeds), 16):
            corrections, *inputs = task._batch(seeds[first : first + 16], np.random.default_rng(7 + first))
            model += (task.module(*inputs) - corrections).pow(2).mean(dim=(1, 2, 3)).tolist()
            warp += corrections.pow(2).mean(dim=(1, 2, 3)).tolist()
    m, w = np.array(model), np.array(warp)

    def psnr(e: np.ndarray) -> np.ndarray:
        return 10 * np.log10(4 / np.maximum(e, 1e-10))

    hard = np.argsort(-w)[: len(w) // 10]
    rest = np.setdiff1d(np.arange(len(w)), hard)
    print(f"| {len(w)} windows | model | warp |\n|---|---|---|")
    print(f"| PSNR of the pooled squared error, dB | {psnr(m.mean()):.2f} | {psnr(w.mean()):.2f} |")
    print(f"| mean PSNR over windows, dB | {psnr(m).mean():.2f} | {psnr(w).mean():.2f} |")
    print(f"| squared error, the warp's worst tenth | {m[hard].mean():.5f} | {w[hard].mean():.5f} |")
    print(f"| squared error, the rest | {m[rest].mean():.5f} | {w[rest].mean():.5f} |")
    print(f"\nthe model beats the warp on {100 * (m < w).mean():.0f}% of windows")


if __name__ == "__main__":
    main()
