"""gancolor: GAN colorization and style transfer, built step by step.

The subpackages are imported on demand so that ``import gancolor`` stays fast:
``gancolor.color``, ``gancolor.data``, ``gancolor.models``, ``gancolor.losses``,
``gancolor.train``, ``gancolor.metrics``, ``gancolor.course``, ``gancolor.cli``.
"""

__version__ = "0.1.0"
