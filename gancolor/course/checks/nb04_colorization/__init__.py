"""Checks of notebook 04, pix2pix colorization: one level of a U-Net with its skip connection, and
the pix2pix discriminator and generator losses on (L, ab) pairs.

4.1 builds the student's ``UNetLevel`` (its ``__init__`` is given, the exercise is ``forward``) and
records with hooks what goes into and out of ``self.down``, ``self.inner`` and ``self.up``: the
level must downsample, hand the result to the deeper levels, concatenate their output with the
skip along the channels and upsample that. It then tries several input sizes, and a three-level
U-Net whose bottleneck only sees the image's average: the output must still follow a small,
local change of the input, which only the skip connections can carry.

4.2 and 4.3 run the student's loss with a small conditional discriminator that inspects every
input it gets (it must be ``torch.cat([L, ab], dim=1)``, with the real or the generated colours)
and with generated colours that come out of a tiny generator, so the check sees where the
gradients go: D's loss must not reach G (the fakes are detached), G's loss must reach G through
D and through the L1 term. D's loss may be the sum of its two terms or pix2pix's half of it; D
must score real and generated pairs in separate calls (one call on both, concatenated, would mix
them in the batch statistics of D's BatchNorm layers). Wrong values are matched against the
typical mistakes (labels swapped, λ missing, L2 instead of L1, the saturating generator loss ...),
which are then named.

4.4 runs a whole pix2pix training step, D's update then G's, with optimisers that record the
gradients they apply: D's must not reach G, G's must be the adversarial term plus λ L1 against the
updated D, and the second step's gradients must be its own (``zero_grad``); D refuses colours
without L.

4.5 decodes a predicted distribution over ab bins into one colour per pixel, Zhang et al. 2016's
annealed mean, on random logits at several temperatures, and names the typical mistakes (the
temperature ignored, multiplied instead of divided, the mode instead of the mean, Lab units
instead of ab / 110, the softmax over the wrong axi

One module per exercise (4.2 and 4.3 share their test bench):

- :mod:`~gancolor.course.checks.nb04_colorization.unet_skip` -- 4.1 :func:`unet_level`;
- :mod:`~gancolor.course.checks.nb04_colorization.pix2pix_bench` -- the batch and inspecting D of 4.2, 4.3;
- :mod:`~gancolor.course.checks.nb04_colorization.pix2pix_d_loss` -- 4.2 :func:`pix2pix_discriminator_loss`;
- :mod:`~gancolor.course.checks.nb04_colorization.pix2pix_g_loss` -- 4.3 :func:`pix2pix_generator_loss`;
- :mod:`~gancolor.course.checks.nb04_colorization.training_step` -- 4.4 :func:`pix2pix_training_step`;
- :mod:`~gancolor.course.checks.nb04_colorization.annealed` -- 4.5 :func:`annealed_mean`.
"""

from __future__ import annotations

from gancolor.course.checks.nb04_colorization.annealed import annealed_mean
from gancolor.course.checks.nb04_colorization.pix2pix_d_loss import pix2pix_discriminator_loss
from gancolor.course.checks.nb04_colorization.pix2pix_g_loss import pix2pix_generator_loss
from gancolor.course.checks.nb04_colorization.training_step import pix2pix_training_step
from gancolor.course.checks.nb04_colorization.unet_skip import unet_level

__all__ = ["unet_level", "pix2pix_discriminator_loss", "pix2pix_generator_loss", "pix2pix_training_step",
           "annealed_mean"]
