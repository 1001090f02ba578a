"""Final training of one architecture (`nasx train`): settings, the training folder, the run.

    from nasx.training import TrainingOptions, train_folder
    outcome = train_folder(TrainingOptions(genotype_file="g.json", data="digits", epochs=20, out="t/"))

`settings`: run defaults < recipe < options, and what a resume may not change; `folder`: the
training folder's files (settings.json, genotype.json, checkpoint.pt, weights.pt, metrics.json),
every write atomic, and its readers' checks; `run`: prepare (everything checked and built before
the folder appears) and run (checkpoint per epoch, resumable, finished folder).
"""

from .run import PreparedTraining, TrainingOutcome, prepare_training, run_training, train_folder
from .settings import TrainingOptions

__all__ = ["PreparedTraining", "TrainingOptions", "TrainingOutcome", "prepare_training", "run_training",
           "train_folder"]
