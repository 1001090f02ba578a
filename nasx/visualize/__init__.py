"""CNN visualization as in Zeiler & Fergus (2013): top-k activations projected by a deconvnet.

    from nasx.visualize import visualize
    vis = visualize(trained_net, dataset.x_val, "features.3", "vis/", top=9, channels=[0, 1, 2])
    vis.method   # "deconvnet", or "guided-backprop"/"gradient" where the path has no exact inverse
"""

from .deconv import INVERSES, deconvnet
from .guided import guided_backprop
from .project import project, top_projections
from .report import Visualization, visualize
from .trace import find_layer, trace

__all__ = ["INVERSES", "Visualization", "deconvnet", "find_layer", "guided_backprop", "project",
           "top_projections", "trace", "visualize"]
