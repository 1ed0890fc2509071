"""Model selection on the val split: gancolor.train.selection.BestOnValidation and ``--keep-best``."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from gancolor.errors import UserError
from gancolor.train.selection import VALIDATION_FILE, BestOnValidation


class _Task:
    """A stand-in trainer: its "model" is the step it is at, its val score given per step."""

    def __init__(self, scores: dict[int, float]) -> None:
        self.scores, self.step = scores, 0


def _selection(out: Path, task: _Task, resume: bool = False,
               metric: str = "val PSNR (dB)") -> BestOnValidation:
    def export(path: Path) -> Path:
        path.write_text(str(task.step))  # the exported model says which step it is
        return path

    return BestOnValidation(out, lambda t: t.scores[t.step], export, "best.pt", metric, resume=resume)


def _run(selection: BestOnValidation, task: _Task, steps: list[int]) -> None:
    for step in steps:
        task.step = step
        selection.checkpoint(task)


def _exported_step(out: Path) -> int:
    return int((out / "best.pt").read_text())


def test_keeps_the_model_of_the_best_score_and_records_every_score(tmp_path):
    task = _Task({10: 1.0, 20: 3.0, 30: 2.0, 40: math.nan, 50: 2.5})
    selection = _selection(tmp_path, task)
    _run(selection, task, [10, 20, 30, 40, 50])
    assert selection.best() == (20, 3.0) and _exported_step(tmp_path) == 20
    record = json.loads((tmp_path / VALIDATION_FILE).read_text())
    assert record["steps"] == [10, 20, 30, 40, 50] and record["best_step"] == 20
    assert record["scores"][:3] == [1.0, 3.0, 2.0] and math.isnan(record["scores"][3])
    assert record["metric"] == "val PSNR (dB)" and record["model"] == "best.pt"


def test_a_nan_is_never_chosen_and_equal_scores_keep_the_earliest(tmp_path):
    task = _Task({1: math.nan, 2: 5.0, 3: 5.0})
    selection = _selection(tmp_path, task)
    _run(selection, task, [1])
    assert selection.best() is None and not (tmp_path / "best.pt").exists()
    _run(selection, task, [2, 3])
    assert selection.best() == (2, 5.0) and _exported_step(tmp_path) == 2


def test_resume_continues_the_record_and_a_redone_step_replaces_its_score(tmp_path):
    task = _Task({1: 1.0, 2: 4.0, 3: 2.0})
    _run(_selection(tmp_path, task), task, [1, 2, 3])
    task.scores[3] = 3.0  # resumed from the checkpoint of step 2: step 3 is trained and scored again
    resumed = _selection(tmp_path, task, resume=True)
    assert resumed.steps == [1, 2, 3]
    _run(resumed, task, [3])
    assert resumed.steps == [1, 2, 3] and resumed.scores == [1.0, 4.0, 3.0]
    assert resumed.best() == (2, 4.0) and _exported_step(tmp_path) == 2


def test_redoing_the_best_step_forgets_it_since_its_model_is_replaced(tmp_path):
    task = _Task({1: 1.0, 2: 4.0})
    _run(_selection(tmp_path, task), task, [1, 2])
    task.scores[2] = 0.5  # resumed from step 1: the redone step 2 scores worse than before ...
    resumed = _selection(tmp_path, task, resume=True)
    _run(resumed, task, [2])  # ... and the old step 1 model is gone (best.pt held step 2's)
    assert resumed.best() == (2, 0.5) and _exported_step(tmp_path) == 2


@pytest.mark.parametrize("damage", ["deleted", "newer than the record"])
def test_a_best_model_that_is_not_the_records_is_not_claimed(tmp_path, damage):
    task = _Task({1: 4.0, 2: 1.0, 3: 2.0})
    _run(_selection(tmp_path, task), task, [1, 2])
    model = tmp_path / "best.pt"
    if damage == "deleted":
        model.unlink()
    else:  # an interruption after a new best was exported, before the record was written
        model.write_text("2")
        record = os.stat(tmp_path / VALIDATION_FILE).st_mtime
        os.utime(model, (record + 5, record + 5))
    resumed = _selection(tmp_path, task, resume=True)
    assert resumed.best() is None  # step 1's model is not on disk any more
    _run(resumed, task, [3])
    assert resumed.best() == (3, 2.0) and _exported_step(tmp_path) == 3
    record = json.loads((tmp_path / VALIDATION_FILE).read_text())
    assert record["steps"] == [1, 2, 3] and record["selectable_from"] == 2
    again = _selection(tmp_path, task, resume=True)  # a second resume keeps the restriction
    assert again.best() == (3, 2.0)


def test_a_new_run_ignores_an_old_record(tmp_path):
    task = _Task({1: 9.0, 2: 1.0})
    _run(_selection(tmp_path, task), task, [1])
    fresh = _selection(tmp_path, task)
    _run(fresh, task, [2])
    assert fresh.steps == [2] and _exported_step(tmp_path) == 2


def test_a_corrupt_record_or_another_metric_is_a_one_line_error(tmp_path):
    task = _Task({1: 1.0})
    _run(_selection(tmp_path, task), task, [1])
    with pytest.raises(UserError, match="records 'val PSNR \\(dB\\)'"):
        _selection(tmp_path, task, resume=True, metric="val SSIM")
    (tmp_path / VALIDATION_FILE).write_text("{not json")
    with pytest.raises(UserError, match="not a validation record") as error:
        _selection(tmp_path, task, resume=True)
    assert str(tmp_path / VALIDATION_FILE) in str(error.value) and "\n" not in str(error.value)
