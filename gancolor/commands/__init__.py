"""What the ``gancolor`` sub-commands do, one module per command (the parser is :mod:`gancolor.cli`)."""

from gancolor.commands.colorize import colorize_files
from gancolor.commands.data import load_images
from gancolor.commands.evaluate import evaluate_command
from gancolor.commands.files import convert_files, output_path_for
from gancolor.commands.stylize import stylize_files
from gancolor.commands.train import train_colorize

__all__ = ["colorize_files", "convert_files", "evaluate_command", "load_images", "output_path_for",
           "stylize_files", "train_colorize"]
