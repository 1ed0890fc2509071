"""Model files: what ``gancolor train ...`` exports and :mod:`gancolor.infer` (``colorizer``, ``stylizer``,
``multitask_model``) loads.

A model file is a ``torch.save`` dict, readable with ``weights_only=True``::

    {"format": "gancolor.colorizer" | "gancolor.stylizer" | "gancolor.multitask",
     "format_version": 1,
     <one or more generator records>: {"class": "UNetGenerator", "config": {...}, "state_dict": {...}},
     ... metadata (train config, steps, inference size ...)}

A generator record rebuilds its module as ``classes[record["class"]](**record["config"])``; its
weights may be float16 (``half``), cast back to float32 on loading. Every problem with a file is a
:class:`~gancolor.errors.CheckpointError` with a one-line reason, with a hint when the file is a
known gancolor file of another kind.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from gancolor.errors import CheckpointError, first_line
from gancolor.io_utils import atomic_torch_save

__all__ = [
    "COLORIZER_FORMAT",
    "MULTITASK_FORMAT",
    "TEMPORAL_FORMAT",
    "PLAIN_INPUTS",
    "HINT_INPUTS",
    "PRIOR_HINT_INPUTS",
    "STYLIZER_FORMAT",
    "SUPERRES_FORMAT",
    "FORMAT_VERSION",
    "KNOWN_FORMATS",
    "ModelFormat",
    "build_generator",
    "generator_record",
    "read_model_file",
    "write_model_file",
]

COLORIZER_FORMAT = "gancolor.colorizer"
STYLIZER_FORMAT = "gancolor.stylizer"
MULTITASK_FORMAT = "gancolor.multitask"
TEMPORAL_FORMAT = "gancolor.temporal"
SUPERRES_FORMAT = "gancolor.superres"
#: A colorizer generator's input channels, as recorded in its file ("inputs"; absent = PLAIN_INPUTS).
PLAIN_INPUTS = ("L",)
HINT_INPUTS = ("L", "hint_a", "hint_b", "hint_mask")
#: A hint colorizer that also sees the hints spread by Levin et al. 2004 (gancolor.propagation).
PRIOR_HINT_INPUTS = (*HINT_INPUTS, "prior_a", "prior_b")
#: The newest ``format_version`` this gancolor reads (and the one its exporters write).
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelFormat:
    """What the error messages say about one kind of model file.

    Attributes:
        what: its name in messages ("not a gancolor {what} file", "no such {what} file").
        use: how to use such a file instead, for a loader given one by mistake.
        export: the file to use instead of a training checkpoint of its trainer.
    """

    what: str
    use: str
    export: str


#: The model files gancolor writes, by their "format".
KNOWN_FORMATS: dict[str, ModelFormat] = {
    COLORIZER_FORMAT: ModelFormat(
        "colorizer", "use it with `gancolor colorize` or gancolor.inference.load_colorizer",
        "the colorizer.pt next to it"),
    STYLIZER_FORMAT: ModelFormat(
        "stylizer", "use it with `gancolor stylize` or gancolor.stylize.load_stylizer",
        "the stylizer exported next to it"),
    MULTITASK_FORMAT: ModelFormat(
        "multi-task model", "load it with gancolor.multitask.load_multitask",
        "the multitask.pt exported next to it"),
    TEMPORAL_FORMAT: ModelFormat(
        "temporal colorizer", "load it with gancolor.video.load_temporal",
        "the temporal.pt exported next to it"),
    SUPERRES_FORMAT: ModelFormat(
        "super-resolution colorizer", "use it with `gancolor colorize --upscale`",
        "the superres.pt exported next to it"),
}


def read_model_file(path: str | Path, expected_format: str) -> dict:
    """The dict saved in the model file ``path``, checked to be of ``expected_format`` (a key of
    :data:`KNOWN_FORMATS`) and no newer than :data:`FORMAT_VERSION`.

    Raises :class:`~gancolor.errors.CheckpointError` (one line) for a missing, unreadable or
    corrupt file, a file of another kind (naming it, e.g. "a colorizer: use it with ..." or "a
    training checkpoint? use the ... next to it") or one written by a newer gancolor.
    """
    path = Path(path)
    what = KNOWN_FORMATS[expected_format].what
    if not path.is_file():
        raise CheckpointError(path, f"no such {what} file" if not path.exists() else "not a file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt files
        raise CheckpointError(path, f"not a readable checkpoint ({first_line(error, limit=120)})") from None
    kind = blob.get("format") if isinstance(blob, dict) else type(blob).__name__
    if not isinstance(kind, str):
        kind = type(kind).__name__
    if kind != expected_format:
        hint = ""
        if kind in KNOWN_FORMATS:
            hint = f" (a {KNOWN_FORMATS[kind].what}: {KNOWN_FORMATS[kind].use})"
        elif isinstance(blob, dict) and "modules" in blob:
            hint = f" (a training checkpoint? use {KNOWN_FORMATS[expected_format].export})"
        raise CheckpointError(path, f"not a gancolor {what} file (format: {kind}){hint}")
    version = blob.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(path, f"field 'format_version' is a {type(version).__name__}, "
                                    "not a whole number")
    if version > FORMAT_VERSION:
        raise CheckpointError(path, "written by a newer gancolor; upgrade gancolor to load it")
    return blob


def build_generator(record: object, classes: Mapping[str, type[nn.Module]], path: str | Path, *,
                    name: str | None = None, config_defaults: Mapping | None = None) -> nn.Module:
    """The generator of a record ``{"class", "config", "state_dict"}`` read from the file ``path``,
    in float32 on the CPU (train mode, as built).

    ``classes``: the generator classes the file may name. ``name``: which generator of the file it
    is (e.g. ``"AtoB"``), for messages. ``config_defaults``: config values for files written before
    an option existed (the record's config wins). Raises :class:`~gancolor.errors.CheckpointError`
    for an unknown class or weights that do not fit the architecture.
    """
    found = record.get("class") if isinstance(record, dict) else None
    if not isinstance(found, str) or found not in classes:
        found = found if isinstance(found, str) or found is None else type(found).__name__
        if name:
            raise CheckpointError(path, f"no usable {name} generator (class {found!r})")
        raise CheckpointError(path, f"unknown generator class {found!r}")
    try:
        with torch.device("meta"):  # no memory and no random initialisation: the file's weights follow
            generator = classes[record["class"]](**{**(config_defaults or {}), **record["config"]})
        state = {k: v.to(torch.float32 if v.is_floating_point() else v.dtype, copy=True)
                 for k, v in record["state_dict"].items()}  # copies: the module shares nothing with `record`
        generator.load_state_dict(state, assign=True)
    except (RuntimeError, TypeError, KeyError, ValueError, AttributeError, IndexError, OverflowError,
            MemoryError) as error:
        reason = f"weights do not fit the architecture ({first_line(error, limit=120)})"
        raise CheckpointError(path, f"{name} {reason}" if name else reason) from None
    return generator


def generator_record(module: nn.Module, half: bool = True) -> dict:
    """The record of a generator for a model file: ``{"class", "config", "state_dict"}``.

    The state dict is a detached CPU copy; ``half`` stores its floating-point tensors as float16
    (:func:`build_generator` casts them back). ``module`` must keep its keyword arguments in
    ``module.config`` (every model of :mod:`gancolor.models` does).
    """
    state = {k: v.detach().to("cpu", copy=True) for k, v in module.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    return {"class": type(module).__name__, "config": dict(module.config), "state_dict": state}


def write_model_file(path: str | os.PathLike, model_format: str, contents: Mapping[str, object]) -> Path:
    """Write the model file ``path`` of ``model_format`` (a key of :data:`KNOWN_FORMATS`), atomically.

    The file holds ``{"format": model_format, "format_version": FORMAT_VERSION, **contents}``:
    ``contents`` are its generator records (:func:`generator_record`) and metadata. Returns the path.
    """
    atomic_torch_save({"format": model_format, "format_version": FORMAT_VERSION, **contents}, path)
    return Path(path)
