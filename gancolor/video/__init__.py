"""Video colorization: per-frame colorizers made temporally consistent, evaluated and applied to files.

- :mod:`~gancolor.video.methods` -- per-frame colours, the smoothing baseline, the learned temporal
  gate (:func:`load_temporal`), and :class:`Stream`, which runs any of them frame by frame;
- :mod:`~gancolor.video.clip_eval` -- :func:`evaluate_video`: PSNR and flicker on the clips;
- :mod:`~gancolor.video.train_temporal` -- :func:`train_temporal_model`: the gate trained on the clips.
"""

from gancolor.video.methods import METHODS, Stream, TemporalModel, load_temporal

__all__ = ["METHODS", "Stream", "TemporalModel", "load_temporal"]
