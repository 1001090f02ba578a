"""What every ENAS search object checkpoints (the runner resumes from it): epoch, baseline, history,
the supernet, the controller and both optimisers. Tensors, dicts, lists and numbers only, so
`torch.load(weights_only=True)` reads it back."""

from __future__ import annotations


class SearchState:
    """Mixin for a search holding `supernet`, `controller`, `w_opt`, `reinforce`, `epoch`, `history`."""

    @property
    def baseline(self) -> float | None:
        return self.reinforce.baseline

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "baseline": self.baseline, "history": list(self.history),
                "supernet": self.supernet.state_dict(), "controller": self.controller.state_dict(),
                "w_opt": self.w_opt.state_dict(), "c_opt": self.reinforce.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.controller.load_state_dict(state["controller"])
        self.w_opt.load_state_dict(state["w_opt"])
        self.reinforce.optimizer.load_state_dict(state["c_opt"])
        self.epoch, self.reinforce.baseline = int(state["epoch"]), state["baseline"]
        self.history = list(state["history"])
