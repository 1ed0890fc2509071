"""Small ipywidgets apps for the notebooks, one module each.

- :class:`RealOrFake` (:mod:`~gancolor.widgets.real_or_fake`): a blind test, "real photo or
  colorized?", reporting the *fool rate* (the fraction of colorized images judged real), the human
  evaluation of Zhang et al. 2016's "colorization Turing test".
- :class:`BeforeAfter` (:mod:`~gancolor.widgets.before_after`): a slider that reveals one image
  over another (colorized over gray).
- :class:`HintApp` (:mod:`~gancolor.widgets.hint_app`): user-guided colorization (Zhang et al.
  2017): click on the photo to place a colour hint, the colorization updates; Undo, Clear, a colour
  picker and a palette.
- :class:`GANPlayground` (:mod:`~gancolor.widgets.playground`): train a toy GAN on the ring of 8
  Gaussians with a loss, learning rate and number of steps of your choice, and see its samples
  (notebook 01).

What they share (images as uint8 arrays, PNG bytes, display in Jupyter) is in
:mod:`~gancolor.widgets.common`. The logic of every app is plain Python (``answer``,
``composite``, ``add_hint``, ``run`` ...), so it runs and is tested without a browser; ipywidgets
(and ipyevents, for mouse clicks) are imported only when an app is built or displayed.
"""

from gancolor.widgets.before_after import BeforeAfter
from gancolor.widgets.hint_app import PALETTE, HintApp
from gancolor.widgets.playground import GANPlayground
from gancolor.widgets.real_or_fake import RealOrFake

__all__ = ["RealOrFake", "BeforeAfter", "HintApp", "GANPlayground", "PALETTE"]
