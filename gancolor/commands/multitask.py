"""``gancolor evaluate --task multitask``: both heads of a multi-task model vs the single-task models."""

from __future__ import annotations

import argparse
from pathlib import Path

from gancolor.errors import UserError

__all__ = ["evaluate_multitask_command"]


def evaluate_multitask_command(args: argparse.Namespace) -> int:
    """Colour head vs the summer truth and style head vs the winter truth (embedded scenes of
    ``--split``), beside the gray/identity baselines and the shipped single-task models."""
    from gancolor.commands.evaluate import report
    from gancolor.inference import default_checkpoint, load_colorizer
    from gancolor.multitask import default_multitask, evaluate_multitask, load_multitask
    from gancolor.stylize import default_stylizer, load_stylizer

    if args.data != "embedded":
        raise UserError(f"{args.data}: multi-task evaluation needs aligned summer/winter pairs; "
                        "use --data embedded")
    paths = args.checkpoint or [default_multitask()]
    if len(paths) != 1:
        raise UserError("--task multitask evaluates one --checkpoint at a time")
    colorizer = load_colorizer(default_checkpoint("gan")) if default_checkpoint("gan").is_file() else None
    stylizer = load_stylizer(default_stylizer()) if default_stylizer().is_file() else None
    results = evaluate_multitask(load_multitask(Path(paths[0])), split=args.split, colorizer=colorizer,
                                 stylizer=stylizer)
    rows = {f"{job}: {method}": scores for job, table in results.items() for method, scores in table.items()}
    note = ("colour rows vs the summer photo, style rows vs its winter twin; single-task models: the shipped "
            "colorizer_gan.pt and stylizer_summer2winter.pt")
    from gancolor.data.embedded import load_embedded

    return report(rows, args, len(load_embedded(args.split, source="scenes").images), note)
