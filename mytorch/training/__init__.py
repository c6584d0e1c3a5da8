"""Training loop and checkpoints."""
from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from .trainer import EpochStats, Trainer, TrainingDiverged, train_step

__all__ = ["Trainer", "EpochStats", "TrainingDiverged", "train_step", "save_checkpoint",
           "load_checkpoint", "Checkpoint", "CheckpointError"]
