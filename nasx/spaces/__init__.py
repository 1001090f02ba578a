"""Search spaces: kinds (classes, one module each) and instances (YAML in search_spaces/)."""

from . import cells as _cells  # noqa: F401  (registers the kind)
from . import inception_family as _inception_family  # noqa: F401
from . import macro as _macro  # noqa: F401
from . import mobile_family as _mobile_family  # noqa: F401
from . import nb201 as _nb201  # noqa: F401
from . import resnet_family as _resnet_family  # noqa: F401
from . import rnn as _rnn  # noqa: F401
from .base import Chooser, RandomChooser, RecordingChooser, ReplayChooser, SearchSpace, SpaceSettings
from .genotype_io import genotype_from_obj, read_genotype
from .registry import get_space, register_kind, space_from_settings, space_names, spaces_dir

__all__ = [
    "Chooser",
    "RandomChooser",
    "RecordingChooser",
    "ReplayChooser",
    "SearchSpace",
    "SpaceSettings",
    "build_genotype",
    "genotype_from_obj",
    "get_space",
    "read_genotype",
    "register_kind",
    "space_from_settings",
    "space_names",
    "spaces_dir",
]


def build_genotype(genotype, num_classes: int = 10, input_size=(3, 32, 32)):
    """The trainable nn.Module for a validated genotype of any registered space."""
    return get_space(genotype.space).build(genotype, num_classes=num_classes, input_size=tuple(input_size))
