"""The ``gancolor`` sub-commands, one module each; :mod:`gancolor.cli` assembles them.

Every sub-command module has the same two functions: ``add_parser(subparsers)`` adds its parser
(options checked once, by the types of :mod:`gancolor.commands.options`) and returns it, and
``run(args) -> int`` does the work and returns the exit status. The sub-command modules import
nothing heavy (torch, numpy) at the top, so that ``gancolor --help`` answers at once.

- :mod:`~gancolor.commands.demo`, :mod:`~gancolor.commands.train`, :mod:`~gancolor.commands.colorize`,
  :mod:`~gancolor.commands.stylize`, :mod:`~gancolor.commands.evaluate`,
  :mod:`~gancolor.commands.download`, :mod:`~gancolor.commands.grade`: the sub-commands.
- :mod:`~gancolor.commands.options`: argparse types with one-line errors, and the shared value ranges.
- :mod:`~gancolor.commands.data`: the images a command trains or evaluates on.
- :mod:`~gancolor.commands.files`: running a photo-to-photo model over files and folders.
"""
