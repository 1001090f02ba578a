"""Every registered op has one meaning everywhere: the code emitter that exported model.py uses
builds the same module (same state_dict keys and shapes, same outputs) as `create_op` does."""

import pytest
import torch
from torch import nn

import nasx.blocks
import nasx.ops
from nasx.export.ops import OP_EMITTERS, emit_op
from nasx.ops import create_op, op_names

OPS = sorted(n for n in op_names() if not n.startswith("test_"))  # test_* ops come from a test plugin


def test_every_op_has_a_code_emitter():
    assert [n for n in OPS if n not in OP_EMITTERS] == []


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("name", OPS)
def test_emitted_op_computes_what_the_engine_op_computes(name, stride):
    c = 8
    torch.manual_seed(0)
    engine = create_op(name, c, c, stride).eval()
    code = emit_op(name, stride)
    namespace = {"nn": nn, "torch": torch, "c": c, **vars(nasx.ops), **vars(nasx.blocks)}
    for module, attr in code.needs:
        namespace[attr] = getattr(__import__(module, fromlist=[attr]), attr)
    emitted = eval(code.expr, namespace).eval()  # the emitter's own validated expression
    own, their = engine.state_dict(), emitted.state_dict()
    assert {k: v.shape for k, v in own.items()} == {k: v.shape for k, v in their.items()}
    emitted.load_state_dict(own)
    x = torch.randn(2, c, 9, 9)
    with torch.no_grad():
        assert torch.equal(engine(x), emitted(x))
