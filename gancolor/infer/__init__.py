"""The trained models applied to photos of any size: load a model file, colour or translate a photo.

- :mod:`gancolor.infer.colorizer` -- :func:`~gancolor.infer.colorizer.load_colorizer`, a colorizer
  (GAN, L1, classification or hint model) that colours a photo at full resolution.
- :mod:`gancolor.infer.stylizer` -- :func:`~gancolor.infer.stylizer.load_stylizer`, the two CycleGAN
  generators (summer <-> winter) applied at full resolution.
- :mod:`gancolor.infer.multitask_model` -- :func:`~gancolor.infer.multitask_model.load_multitask`,
  the one-encoder, two-head model: colour and winter from one gray photo.
- :mod:`gancolor.infer.user_hints` -- a user's colour hints (:class:`~gancolor.infer.user_hints.Hint`),
  their hint maps and the JSON hint file of ``gancolor colorize --hints``.
- :mod:`gancolor.infer.exemplar` -- :class:`~gancolor.infer.exemplar.ExemplarColorizer`, colours
  from a colour reference photo (Welsh et al. 2002 and a refined matching), ``colorize --reference``.
- :mod:`gancolor.infer.full_resolution` -- what they share: the working size, padding to a size the
  network takes, and bringing a small prediction back onto the full-resolution photo.

This part sits beside :mod:`gancolor.train`: it imports neither training nor evaluation, and
training never imports it (the file formats are in :mod:`gancolor.model_files`).
"""
