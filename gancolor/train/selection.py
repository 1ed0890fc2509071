"""Model selection on held-out data: keep the model of the checkpoint that scores best on the val split.

A GAN's held-out score does not settle as training goes on: a CycleGAN run on the embedded paintings
moved by up to 2 dB between checkpoints 250 steps apart, and its last step was not its best. The
usual remedy (early stopping) needs a score that does not look at the test split:
:class:`BestOnValidation` scores the model at every checkpoint on the *validation* split, appends the
score to ``OUT/validation.json`` and, when it is the best so far, exports the model to
``OUT/best_<model>.pt``. The test split stays untouched until the chosen model is evaluated once.

:class:`~gancolor.train.watch.TrainingMonitor` calls it at every checkpoint (rank 0 only), after
``checkpoint.pt`` has been written, so a resumed run continues the same record.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gancolor.errors import UserError
from gancolor.io_utils import atomic_write_json

__all__ = ["BestOnValidation", "VALIDATION_FILE"]

#: The record of the validation scores in the run's folder.
VALIDATION_FILE = "validation.json"


class BestOnValidation:
    """Score a trainer at every checkpoint; keep the export of the best-scoring one.

    Inputs:
        out_dir: the run's folder (``validation.json`` and the best model go there).
        score: ``task -> float``, higher is better (e.g. the val split's PSNR); it must leave the
            task's training state as it found it (evaluate under :func:`~gancolor.train.engine.eval_mode`).
        export: ``path -> path``: write the task's current model to ``path`` (atomically).
        model_name: the best model's file name, e.g. ``"best_stylizer.pt"``.
        metric: what ``score`` measures, for the record and messages, e.g. ``"val PSNR AtoB (dB)"``.
        resume: continue the record in ``out_dir``; False starts a new one.

    A non-finite score is recorded but never chosen. A step scored again (a run resumed from an
    earlier checkpoint redoes it) replaces its old score and those after it. Only a score whose
    model is on disk can be the best: when the best model file is missing, or is not the one the
    record names (an interruption between the two), the record keeps the old scores but chooses
    only among the new ones (``selectable_from`` in the record).
    """

    def __init__(self, out_dir: str | os.PathLike, score: Callable[[Any], float],
                 export: Callable[[Path], Path], model_name: str, metric: str, *,
                 resume: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.score, self.export = score, export
        self.model_name, self.metric = model_name, metric
        self.steps: list[int] = []
        self.scores: list[float] = []
        self._selectable = 0  # index of the first score whose model can still be the best
        if resume and self.record_path.exists():
            self._load()

    @property
    def record_path(self) -> Path:
        return self.out_dir / VALIDATION_FILE

    @property
    def model_path(self) -> Path:
        return self.out_dir / self.model_name

    def _load(self) -> None:
        try:
            record = json.loads(self.record_path.read_text())
            self.steps = [int(s) for s in record["steps"]]
            self.scores = [float(v) for v in record["scores"]]
            self._selectable = int(record.get("selectable_from", 0))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise UserError(f"{self.record_path}: not a validation record ({error}); "
                            "delete it to start the record again") from error
        if len(self.steps) != len(self.scores) or not 0 <= self._selectable <= len(self.steps):
            raise UserError(f"{self.record_path}: not a validation record (steps and scores do not match); "
                            "delete it to start the record again")
        if record.get("metric") != self.metric:
            raise UserError(f"{self.record_path}: records {record.get('metric')!r}, this run scores "
                            f"{self.metric!r}; delete it or train into another --out")
        # The model on disk is the record's best only if it exists and the record was written after it.
        best = self.best()
        current = (best is not None and record.get("best_step") == best[0] and self.model_path.exists()
                   and self.model_path.stat().st_mtime <= self.record_path.stat().st_mtime)
        if best is not None and not current:
            self._selectable = len(self.steps)

    def best(self) -> tuple[int, float] | None:
        """(step, score) of the best finite score so far (the earliest of equals) among those whose model
        can be on disk; None if there is none."""
        pairs = zip(self.steps[self._selectable:], self.scores[self._selectable:], strict=True)
        finite = [(v, -s) for s, v in pairs if math.isfinite(v)]
        if not finite:
            return None
        value, negative_step = max(finite)
        return -negative_step, value

    def checkpoint(self, task: Any) -> float:
        """Score ``task`` after ``task.step`` steps, record it, export the model if it is the best so far;
        returns the score."""
        step = int(task.step)
        redone = next((i for i, s in enumerate(self.steps) if s >= step), len(self.steps))
        best = self.best()
        if best is not None and best[0] >= step:  # the model on disk is of a step being redone
            self._selectable = redone
        del self.steps[redone:], self.scores[redone:]
        self._selectable = min(self._selectable, redone)
        value = float(self.score(task))
        before = self.best()
        self.steps.append(step)
        self.scores.append(value)
        if math.isfinite(value) and (before is None or value > before[1]):
            self.export(self.model_path)
        best = self.best()
        atomic_write_json(self.record_path, {
            "metric": self.metric, "steps": self.steps, "scores": self.scores,
            "best_step": best[0] if best else None, "best_score": best[1] if best else None,
            "model": self.model_name, "selectable_from": self._selectable,
        }, indent=1)
        return value
