"""Video clips with ground truth: procedural scenes in motion, their true colours and true motion.

Balloons drift and rise, cars drive, the camera pans, and objects pass in front of each other and
behind the hills, in summer and winter; every velocity is a whole number of pixels per frame, so the
true displacement of every pixel to the next frame is exact (:meth:`ClipSplit.flow`).

- :mod:`~gancolor.data.clips.motion` -- :class:`ClipMotion`, the camera pan and object velocities;
- :mod:`~gancolor.data.clips.painting` -- :func:`render_clip`: the frames, object ids, ambiguous masks;
- :mod:`~gancolor.data.clips.embedded_clips` -- :func:`load_clips`: the cached train / val / test splits.
"""

from gancolor.data.clips.embedded_clips import (
    DEFAULT_FRAMES,
    DEFAULT_N_CLIPS,
    ClipSplit,
    build_clips,
    clips_cache_path,
    load_clips,
)
from gancolor.data.clips.motion import ClipMotion, sample_motion
from gancolor.data.clips.painting import RenderedClip, render_clip

__all__ = ["DEFAULT_FRAMES", "DEFAULT_N_CLIPS", "ClipSplit", "ClipMotion", "RenderedClip", "build_clips",
           "clips_cache_path", "load_clips", "render_clip", "sample_motion"]
