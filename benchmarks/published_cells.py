"""Published NAS cells at their papers' settings: nasx's params and MACs next to the published figures.

    python benchmarks/published_cells.py [--json]

Params exclude the auxiliary head (as the papers and DARTS's count_parameters_in_MB); MACs are conv +
linear multiply-accumulates of one 1-image forward (torch.utils.flop_counter / 2). Networks are built
on the meta device (no memory). Published figures come from nasx.spaces.published (see its docstring
for which are checked against reference code and which are quoted from memory).
"""

from __future__ import annotations

import argparse
import json

import torch

from nasx import zoo
from nasx.measure import count_macs, count_params
from nasx.spaces.published import PUBLISHED

ROWS = [  # zoo model, published cell, which published figures
    ("darts_v1", "darts_v1", "cifar10"), ("darts_v2", "darts_v2", "cifar10"),
    ("nasnet_a_cifar", "nasnet_a", "cifar10"), ("amoebanet_a_cifar", "amoebanet_a", "cifar10"),
    ("pnasnet5_cifar", "pnasnet5", "cifar10"), ("enas_cifar", "enas", "cifar10"), ("darts_v2_imagenet", "darts_v2", "imagenet_mobile"),
    ("nasnet_a_mobile", "nasnet_a", "imagenet_mobile"), ("amoebanet_a_mobile", "amoebanet_a", "imagenet_mobile"),
    ("pnasnet5_mobile", "pnasnet5", "imagenet_mobile"), ("nasnet_a_large", "nasnet_a", "imagenet_large"),
    ("pnasnet5_large", "pnasnet5", "imagenet_large"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = []
    for model, cell, key in ROWS:
        spec = zoo.get_spec(model)
        with torch.device("meta"):
            net = zoo.create_model(model)
        params = count_params(net)
        macs = count_macs(zoo.create_model(model) if spec.input_size[1] <= 64 else net, spec.input_size)
        fig = PUBLISHED[cell].figures.get(key, {})
        out.append({"model": model, "settings": spec.variant_note, "input": "x".join(map(str, spec.input_size)),
                    "params": params, "macs": macs, "paper_params_m": fig.get("params_m"),
                    "paper_macs_m": fig.get("macs_m"), "paper_err": fig.get("test_err", fig.get("top1_err"))})
    if args.json:
        print(json.dumps(out, indent=1))
        return
    print("| model | input | nasx params | paper params | nasx MACs | paper MACs | paper error % |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in out:
        pm = f"{r['paper_params_m']}M" if r["paper_params_m"] else "-"
        pmac = f"{r['paper_macs_m']}M" if r["paper_macs_m"] else "-"
        print(f"| {r['model']} | {r['input']} | {r['params'] / 1e6:.3f}M ({r['params']:,}) | {pm} | "
              f"{r['macs'] / 1e6:.0f}M | {pmac} | {r['paper_err']} |")


if __name__ == "__main__":
    main()
