"""Held-out evaluation of the trained models, next to the baselines that need no training.

- :mod:`gancolor.evaluation.scores` -- PSNR, SSIM, colourfulness (FID, KID) of a method's outputs and
  the plain-text table (:func:`~gancolor.evaluation.scores.format_table`).
- :mod:`gancolor.evaluation.colorizer_eval` -- colorizers on the embedded test split, with simulated
  hints for hint models (``gancolor evaluate``).
- :mod:`gancolor.evaluation.photo_eval` -- colorizers on whole held-out real photos at 512 px
  (``gancolor evaluate --data photos``).
- :mod:`gancolor.evaluation.exemplar_eval` -- exemplar colorization on real photos, each half
  coloured from the other, against a global tint (``gancolor evaluate --task exemplar``).
- :mod:`gancolor.evaluation.stylizer_eval` -- a stylizer against the true other season.
- :mod:`gancolor.evaluation.multitask_eval` -- both heads of a multi-task model against the
  single-task models.
- :mod:`gancolor.evaluation.baseline_colorizers` -- gray, mean ab, colour transfer (Welsh et al.
  2002) and Levin et al. 2004's hint propagation as colorizers.

This part may use :mod:`gancolor.infer` (the models it scores) but never :mod:`gancolor.train`, and
training never imports it.
"""
