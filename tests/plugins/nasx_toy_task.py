"""Test plug-in (loaded via NASX_PLUGINS): a task kind that is not image classification.

`toy-regression`: the space's network, built with one output, regresses the mean brightness of
random 1x8x8 images; it is judged by `val_mse` (lower is better), so every reader of a run must
rank and draw by the kind's metric and its direction, not by val_acc. Its runner is its own.
"""

import time
from pathlib import Path

import torch

from nasx.atomic import save_torch
from nasx.evaluate.outcome import Status, TrialOutcome
from nasx.evaluate.runners import register_runner
from nasx.metrics import Metric
from nasx.ops import OPS_VERSION
from nasx.spaces import genotype_from_obj, get_space
from nasx.tasks import TaskKind, register_task

INPUT = (1, 8, 8)

register_task(TaskKind(
    name="toy-regression", metrics=(Metric("val_mse", "min", "val MSE"), Metric("test_mse", "min", "test MSE")),
    objective="val_mse", held_out="test_mse", runner="toy-train",
    input_contract="a 1x8x8 image batch -> one number per image",
))


def _data(seed: int, n: int):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, *INPUT, generator=g)
    return x, x.mean(dim=(1, 2, 3))


@register_runner("toy-train")
def toy_train(spec, report=None):
    t0 = time.time()
    task = spec.make_task()
    genotype = genotype_from_obj(spec.genotype)
    model = get_space(genotype.space).with_network(**spec.network).build(genotype, num_classes=1, input_size=INPUT)
    torch.manual_seed(task.seed)
    x, y = _data(task.seed, 256)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(1, task.epochs + 1):
        model.train()
        for i in range(0, 192, 32):
            opt.zero_grad()
            out = model(x[i:i + 32])
            out = out[0] if isinstance(out, tuple) else out
            torch.nn.functional.mse_loss(out[:, 0], y[i:i + 32]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = float(torch.nn.functional.mse_loss(model(x[192:224])[:, 0], y[192:224]))
            test = float(torch.nn.functional.mse_loss(model(x[224:])[:, 0], y[224:]))
        if report is not None and epoch < task.epochs:
            report(epoch, {"val_mse": val})
    weights = None
    if spec.keep_weights and spec.run_dir and Path(spec.run_dir).is_dir():
        rel = Path("trials") / spec.trial_id / "weights.pt"
        (Path(spec.run_dir) / rel).parent.mkdir(parents=True, exist_ok=True)
        save_torch(model.state_dict(), Path(spec.run_dir) / rel)
        weights = str(rel)
    params = sum(p.numel() for p in model.parameters())
    return TrialOutcome(Status.OK, None, {"val_mse": val, "test_mse": test, "params": params,
                                          "epochs_done": task.epochs},
                        weights=weights, wall_seconds=time.time() - t0,
                        build={"network": dict(spec.network), "num_classes": 1, "input_size": list(INPUT),
                               "data": task.data, "ops_version": OPS_VERSION})
