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
from gancolor.train.colour_and_style import (
    MultiTaskConfig,
    MultiTaskTrainer,
    export_multitask,
    multitask_loss,
)
from gancolor.train.cyclegan import CycleGANConfig, CycleGANTrainer, export_stylizer, train_cyclegan
from gancolor.train.image_pool import ImagePool
from gancolor.train.loop import History, Task, TrainingDivergedError, fit
from gancolor.train.pix2pix import ColorizationTrainer, ColorizeConfig, export_colorizer, train_colorizer
from gancolor.train.sampling import StepSampler, derive_seed, random_crops_and_flips, step_generator
from gancolor.train.schedule import linear_decay
from gancolor.train.unconditional import DCGANConfig, DCGANTrainer, train_dcgan

__all__ = [
    "CHECKPOINT_NAME",
    "ColorizationTrainer",
    "ColorizeConfig",
    "CycleGANConfig",
    "CycleGANTrainer",
    "DCGANConfig",
    "DCGANTrainer",
    "History",
    "ImagePool",
    "MultiTaskConfig",
    "MultiTaskTrainer",
    "StepSampler",
    "Task",
    "TrainingDivergedError",
    "derive_seed",
    "export_colorizer",
    "export_multitask",
    "export_stylizer",
    "fit",
    "linear_decay",
    "load_training_checkpoint",
    "multitask_loss",
    "random_crops_and_flips",
    "restore_training_state",
    "save_training_checkpoint",
    "step_generator",
    "train_colorizer",
    "train_cyclegan",
    "train_dcgan",
]
