"""ENAS supernet training throughput on a GPU (torch only, no Ray; < 2 minutes).

Measures images/s of shared-weight training steps on 32x32x3 inputs at batch 256 under bf16
autocast, with a newly sampled child per step as ENAS trains (controller sampling included), next
to the throughput of the same-sized standalone child (`space.build` of one sampled genotype) and
the supernet running that one fixed child; prints torch.cuda.max_memory_allocated for each (on
the CPU, the process's peak RSS instead: the supernet row is the supernet's footprint).

    python benchmarks/enas_gpu.py                       # cells, nb201 and enas_macro spaces
    python benchmarks/enas_gpu.py --spaces cells --steps 50
    python benchmarks/enas_gpu.py --device cpu --batch 32 --steps 3   # smoke test without a GPU
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import time

import torch
import torch.nn.functional as F

from nasx.enas.controller import Controller
from nasx.enas.supernet import build_supernet
from nasx.spaces import get_space


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _autocast(device, amp):
    return torch.autocast("cuda", dtype=torch.bfloat16) if amp and device.type == "cuda" else contextlib.nullcontext()


def measure(model, archs, x, y, steps, warmup, amp, max_seconds) -> dict:
    """Images/s of SGD steps; `archs()` gives the forward's extra arguments per step."""
    device = x.device
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    model.train()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    done, t0 = 0, None
    start = time.perf_counter()
    for i in range(warmup + steps):
        if i == warmup:
            _sync(device)
            t0 = time.perf_counter()
        with _autocast(device, amp):
            loss = F.cross_entropy(model(x, *archs()), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done += i >= warmup
        if time.perf_counter() - start > max_seconds and i >= warmup:
            break
    _sync(device)
    dt = time.perf_counter() - t0
    if device.type == "cuda":
        mem = torch.cuda.max_memory_allocated(device) / 2**30
    else:  # the process's peak resident set so far (monotone: read the first row of a space)
        mem = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {"img_per_s": done * x.shape[0] / dt, "steps": done, "mem_gib": mem}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spaces", default="cells,nb201,enas_macro")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--no-amp", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=10.0, help="per measurement")
    args = ap.parse_args()
    device, amp = torch.device(args.device), not args.no_amp
    torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"device {name}, batch {args.batch}, 32x32x3, bf16 autocast {amp and device.type == 'cuda'}")
    print(f"| space | model | params | img/s | {'max GPU memory' if device.type == 'cuda' else 'peak RSS'} (GiB) |")
    print("|---|---|---|---|---|")
    t_all = time.time()
    for space_name in args.spaces.split(","):
        torch.manual_seed(0)
        space = get_space(space_name)
        x = torch.randn(args.batch, 3, 32, 32, device=device)
        y = torch.randint(0, 10, (args.batch,), device=device)
        controller = Controller(space)  # on the CPU, as in training
        gen = torch.Generator().manual_seed(0)
        fixed = space.sample(0)
        supernet = build_supernet(space, 10, (3, 32, 32)).to(device)

        def sampled(controller=controller, gen=gen):
            with torch.no_grad():
                return (controller.sample(gen).genotype,)
        rows = [("supernet, new child per step", supernet, sampled),
                ("supernet, one fixed child", supernet, lambda fixed=fixed: (fixed,))]
        results = [(label, model, measure(model, fn, x, y, args.steps, args.warmup, amp, args.max_seconds))
                   for label, model, fn in rows]
        del supernet
        child = space.build(fixed, num_classes=10, input_size=(3, 32, 32)).to(device)
        results.append(("standalone child (same genotype)", child,
                        measure(child, lambda: (), x, y, args.steps, args.warmup, amp, args.max_seconds)))
        for label, model, r in results:
            params = sum(p.numel() for p in model.parameters()) / 1e6
            print(f"| {space_name} | {label} | {params:.2f}M | {r['img_per_s']:.0f} | {r['mem_gib']:.2f} |",
                  flush=True)
        del child, results
    print(f"wall {time.time() - t_all:.0f} s")


if __name__ == "__main__":
    main()
