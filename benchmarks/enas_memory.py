"""ENAS supernet memory per training step, tallied tensor by tensor (no GPU needed).

`torch.distributed._tools.mem_tracker.MemTracker` follows every live tensor (parameters, buffers,
gradients, optimizer state, saved activations) through one supernet training step, so the peak it
reports is what a GPU's caching allocator has to hold at least: the device footprint before the
CUDA context (~0.5 GiB) and allocator slack. Momentum buffers grow as more paths get gradients;
the "all paths trained" column adds gradient + momentum for every parameter, the worst case.

    .venv/bin/python benchmarks/enas_memory.py
    .venv/bin/python benchmarks/enas_memory.py --spaces cells --batch 64 --input 3x32x32
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch.distributed._tools.mem_tracker import MemTracker

from nasx.enas import build_supernet
from nasx.spaces import RandomChooser, get_space

MIB = 2**20


def step_peak(space, batch: int, shape: tuple, bf16: bool, seed: int) -> tuple[float, float, int]:
    """(peak tensor MiB of one step, MiB of gradient + momentum for all parameters, parameter count)."""
    torch.manual_seed(seed)
    net = build_supernet(space, 10, shape)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    genotype = space.sample(RandomChooser(seed))
    x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(net(x, genotype).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # the optimizer state of this path exists from here on
    tracker = MemTracker()
    tracker.track_external(net, opt)
    with tracker:
        step()
    peak = tracker.get_tracker_snapshot("peak")
    total = sum(v["Total"] for v in peak.values())
    n_params = sum(p.numel() for p in net.parameters())
    all_paths = 2 * sum(p.numel() * p.element_size() for p in net.parameters())
    return total / MIB, all_paths / MIB, n_params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", default="cells,nb201,enas_macro")
    ap.add_argument("--input", default="3x32x32", help="CxHxW")
    ap.add_argument("--batch", type=int, nargs="*", default=[128, 256])
    ap.add_argument("--seeds", type=int, default=3, help="sampled paths per row (the max is shown)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    shape = tuple(int(v) for v in args.input.lower().split("x"))
    print(f"input {args.input}; peak = max over {args.seeds} sampled paths of one step's live tensors\n")
    print("| space | params | batch | precision | peak step MiB | + grad/momentum of all paths MiB |")
    print("|---|---:|---:|---|---:|---:|")
    for name in args.spaces.split(","):
        space = get_space(name)
        for batch in args.batch:
            for bf16 in (False, True):
                rows = [step_peak(space, batch, shape, bf16, s) for s in range(args.seeds)]
                peak = max(r[0] for r in rows)
                print(f"| {name} | {rows[0][2] / 1e6:.2f} M | {batch} | {'bf16' if bf16 else 'fp32'} | "
                      f"{peak:,.0f} | {peak + rows[0][1]:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
