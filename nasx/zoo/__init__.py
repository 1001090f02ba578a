"""The model zoo: classic hand-designed CNNs (LeNet-5 to MobileNet v2) behind `create_model`.

Importing this package registers every family; see `registry` for the API and each family file
for its paper, deviations and small-image (28x28 / 32x32) stem.
"""

from . import alexnet, googlenet, inception, lenet, resnet, resnext, vgg, xception  # noqa: F401  (registration side effects, oldest first)
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

__all__ = ["ModelSpec", "create_model", "families", "get_spec", "inference_params", "list_models",
           "model_info", "model_stats", "register_model"]
