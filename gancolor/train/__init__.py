"""Training: one small loop (progress, checkpoints, exact resume, NaN stop) and a trainer per task.

    trainer = ColorizationTrainer(ColorizeConfig(), images)   # a Task
    history = fit(trainer, steps=2000, out_dir="runs/colorize")
    export_colorizer(trainer, "runs/colorize/colorizer.pt")
"""

from gancolor.train.checkpoint import (
    CHECKPOINT_NAME,
    load_training_checkpoint,
    restore_training_state,
    save_training_checkpoint,
)
from gancolor.train.colorize import ColorizationTrainer, ColorizeConfig, export_colorizer, train_colorizer
from gancolor.train.dcgan import DCGANConfig, DCGANTrainer, train_dcgan
from gancolor.train.loop import History, Task, TrainingDivergedError, fit
from gancolor.train.sampling import StepSampler, derive_seed, step_generator

__all__ = [
    "CHECKPOINT_NAME",
    "ColorizationTrainer",
    "ColorizeConfig",
    "DCGANConfig",
    "DCGANTrainer",
    "History",
    "StepSampler",
    "Task",
    "TrainingDivergedError",
    "derive_seed",
    "export_colorizer",
    "fit",
    "load_training_checkpoint",
    "restore_training_state",
    "save_training_checkpoint",
    "step_generator",
    "train_colorizer",
    "train_dcgan",
]
