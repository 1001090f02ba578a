"""The model zoo: classic hand-designed CNNs (LeNet-5 to MobileNet v2) behind `create_model`.

Importing this package registers every family, oldest first (that order is `list_models()`'s and
the `nasx zoo` table's); see `registry` for the API and each family file for its paper, its
deviations and its small-image (28x28 / 32x32) stem.
"""

from importlib import import_module

from .registry import (
    ModelSpec,
    create_model,
    families,
    get_spec,
    inference_params,
    list_models,
    model_info,
    model_stats,
    register_model,
)

FAMILY_MODULES = ("lenet", "alexnet", "vgg", "googlenet", "inception", "resnet", "xception", "resnext",
                  "squeezenet", "densenet", "pyramidnet", "mobilenet", "shufflenet", "nas_cells")
for _module in FAMILY_MODULES:
    import_module(f"{__name__}.{_module}")

__all__ = ["FAMILY_MODULES", "ModelSpec", "create_model", "families", "get_spec", "inference_params",
           "list_models", "model_info", "model_stats", "register_model"]
