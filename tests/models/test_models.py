"""U-Net, PatchGAN and DCGAN: shapes, ranges, published parameter counts, receptive fields,
skip connections, dropout, weight init, rebuilding from ``config``, spectral norm."""

import pytest
import torch
from torch import nn

from gancolor.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    PatchDiscriminator,
    PixelDiscriminator,
    UNetGenerator,
    count_parameters,
    init_weights,
    make_norm,
    receptive_field,
)


def _on_meta(cls, **config):
    """Build a model without allocating or drawing its weights (for parameter counts)."""
    with torch.device("meta"):
        return cls(**config)


# ----------------------------------------------------------------------------------- U-Net


@pytest.mark.parametrize("upsample", ["transpose", "bilinear"])
@pytest.mark.parametrize("norm", ["batch", "instance", "none"])
def test_unet_shape_and_range(norm, upsample):
    torch.manual_seed(0)
    model = UNetGenerator(width=8, depth=4, norm=norm, upsample=upsample)
    x = 100 * torch.randn(2, 1, 32, 48)  # large inputs push the Tanh to its limits
    y = model(x)
    assert y.shape == (2, 2, 32, 48)
    assert y.abs().max() <= 1.0
    assert model.size_multiple == 16


def test_unet_depth8_reaches_a_1x1_bottleneck_without_norm():
    # pix2pix's 256x256 U-Net: 8 halvings leave one pixel, which batch norm with N=1 or
    # instance norm could not normalise; the innermost block therefore has none.
    model = UNetGenerator(width=2, depth=8, max_width=4, norm="instance")
    bottleneck = []
    model.encoder[-1].register_forward_hook(lambda module, inputs, output: bottleneck.append(output))
    assert model(torch.randn(1, 1, 256, 256)).shape == (1, 2, 256, 256)
    assert bottleneck[0].shape == (1, 4, 1, 1)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) for m in model.encoder[-1].modules())


@pytest.mark.parametrize("shape", [(1, 1, 40, 32), (1, 1, 32, 20), (1, 3, 32, 32), (1, 32, 32)])
def test_unet_rejects_bad_inputs(shape):
    model = UNetGenerator(width=4, depth=4)
    with pytest.raises(ValueError, match=r"divisible by 2\*\*depth = 16|expects input of shape"):
        model(torch.zeros(shape))


def test_unet_rejects_bad_options():
    with pytest.raises(ValueError, match="'batch', 'instance', 'none'"):
        UNetGenerator(norm="group")
    with pytest.raises(ValueError, match="upsample"):
        UNetGenerator(upsample="pixelshuffle")
    with pytest.raises(ValueError, match="dropout"):
        UNetGenerator(dropout=1.0)


def test_unet_dropout_acts_in_train_mode_only():
    torch.manual_seed(0)
    model = UNetGenerator(width=8, depth=4, norm="none", dropout=0.5)
    x = torch.randn(2, 1, 32, 32)
    assert not torch.equal(model(x), model(x))  # train: a new dropout mask each call
    model.eval()
    assert torch.equal(model(x), model(x))
    no_dropout = UNetGenerator(width=8, depth=4, norm="none", dropout=0.0)
    assert torch.equal(no_dropout(x), no_dropout(x))


@pytest.mark.parametrize("depth, n_dropout", [(8, 3), (4, 3), (3, 2), (1, 0)])
def test_unet_dropout_sits_in_the_innermost_decoder_blocks(depth, n_dropout):
    model = UNetGenerator(width=2, depth=depth, max_width=4)
    has_dropout = [any(isinstance(m, nn.Dropout) for m in block.modules()) for block in model.decoder]
    # decoder[0] is the output block, decoder[-1] the innermost
    assert has_dropout == [False] * (depth - n_dropout) + [True] * n_dropout


def test_unet_every_skip_connection_reaches_the_output():
    # Zeroing the skip half of a decoder block's input changes the output. At initialisation the
    # deeper paths are weak (each N(0, 0.02) layer shrinks the signal): float64 shows their
    # effect far above rounding noise.
    torch.manual_seed(0)
    model = UNetGenerator(width=8, depth=4).eval().double()
    x = torch.randn(1, 1, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        reference = model(x)
    for block in model.decoder[:-1]:  # every block but the innermost gets cat(upsampled, skip)

        def zero_skip(module, inputs):
            h = inputs[0].clone()
            h[:, h.shape[1] // 2:] = 0  # the skip half of the concatenation
            return (h,)

        handle = block.register_forward_pre_hook(zero_skip)
        with torch.no_grad():
            changed = (model(x) - reference).abs().max()
        handle.remove()
        assert changed > 1e-4 * reference.abs().max()


def test_unet_finest_skip_keeps_changes_local():
    # A one-pixel change of the input reaches the output mostly near that pixel, through the
    # e1 -> d1 skip; the bottleneck spreads only a faint trace over the whole image.
    torch.manual_seed(0)
    model = UNetGenerator(width=8, depth=4).eval()
    x = torch.randn(1, 1, 64, 64)
    bumped = x.clone()
    bumped[0, 0, 32, 32] += 1.0
    with torch.no_grad():
        change = (model(bumped) - model(x)).abs().sum(dim=1)[0]  # (64, 64)
    window = torch.zeros_like(change, dtype=torch.bool)
    window[29:36, 29:36] = True
    assert change[window].mean() > 20 * change[~window].mean()
    peak = divmod(int(change.argmax()), 64)
    assert abs(peak[0] - 32) <= 2 and abs(peak[1] - 32) <= 2


def test_unet_rebuilds_from_config_and_is_deterministic():
    torch.manual_seed(0)
    model = UNetGenerator(in_channels=3, out_channels=2, width=8, depth=3, max_width=16,
                          norm="instance", dropout=0.2, upsample="bilinear")
    torch.manual_seed(0)
    twin = type(model)(**model.config)
    assert count_parameters(twin) == count_parameters(model)
    for (name, a), b in zip(model.state_dict().items(), twin.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    twin.load_state_dict(model.state_dict())  # strict: same names and shapes


def test_unet_parameter_count_matches_pix2pix():
    # pix2pix's unet_256 (3 -> 3 channels, batch norm) reports 54.414 M parameters. Its first
    # and innermost down-convs have no bias although no norm follows them; ours have one
    # (64 + 512 biases).
    model = _on_meta(UNetGenerator, in_channels=3, out_channels=3, width=64, depth=8)
    assert abs(count_parameters(model) - (64 + 512) - 54.414e6) < 500


def test_init_weights_statistics():
    torch.manual_seed(0)
    model = UNetGenerator(width=32, depth=5)
    conv_weights = torch.cat([m.weight.detach().flatten() for m in model.modules()
                              if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])
    assert conv_weights.numel() > 1e6
    assert abs(conv_weights.mean()) < 1e-3
    assert float(conv_weights.std()) == pytest.approx(0.02, rel=0.01)
    norm_scales = torch.cat([m.weight.detach() for m in model.modules() if isinstance(m, nn.BatchNorm2d)])
    assert float(norm_scales.mean()) == pytest.approx(1.0, abs=0.005)
    assert float(norm_scales.std()) == pytest.approx(0.02, rel=0.2)
    biases = [m.bias for m in model.modules() if getattr(m, "bias", None) is not None]
    assert biases and all(torch.all(b == 0) for b in biases)


def test_init_weights_on_a_linear_and_instance_norm():
    torch.manual_seed(0)
    layers = init_weights(nn.Sequential(nn.Linear(500, 400), make_norm("instance", 2000)), std=0.1)
    layers.requires_grad_(False)
    assert float(layers[0].weight.std()) == pytest.approx(0.1, rel=0.02)
    assert float(layers[1].weight.mean()) == pytest.approx(1.0, abs=0.01)
    assert torch.all(layers[0].bias == 0) and torch.all(layers[1].bias == 0)
    assert isinstance(make_norm("none", 4), nn.Identity)


# --------------------------------------------------------------------------------- PatchGAN


@pytest.mark.parametrize("n_layers, size", [(1, 16), (2, 34), (3, 70), (4, 142)])
def test_patchgan_receptive_field_values(n_layers, size):
    assert receptive_field(n_layers) == size
    assert PatchDiscriminator(width=2, n_layers=n_layers).receptive_field == size


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_patchgan_receptive_field_by_gradient(n_layers):
    # The gradient of one output logit is non-zero exactly on an R x R window of the input.
    torch.manual_seed(0)
    model = PatchDiscriminator(in_channels=3, width=4, n_layers=n_layers, norm="none").double()
    x = torch.randn(1, 3, 128, 128, dtype=torch.float64, requires_grad=True)
    logits = model(x)
    h, w = logits.shape[-2:]
    logits[0, 0, h // 2, w // 2].backward()
    touched = x.grad[0].abs().sum(dim=0) > 0
    rows, cols = touched.any(dim=1).nonzero().flatten(), touched.any(dim=0).nonzero().flatten()
    r = receptive_field(n_layers)
    assert len(rows) == len(cols) == r
    assert rows[-1] - rows[0] + 1 == r and cols[-1] - cols[0] + 1 == r  # contiguous
    assert touched.sum() == r * r  # the whole square, nothing else
    assert 0 < rows[0] and rows[-1] < 127  # inside the image, away from the padding


def test_patchgan_pix2pix_shapes_and_parameter_count():
    # pix2pix's 70x70 PatchGAN on 256x256 images gives 30x30 logits; with its facades input
    # (6 channels) it reports 2.769 M parameters. All counted here exactly:
    # conv 6*64*16+64, conv 64*128*16 + BN 2*128, conv 128*256*16 + BN 2*256, conv 256*512*16 + BN 2*512,
    # conv 512*1*16 + 1.
    model = PatchDiscriminator(in_channels=6)
    assert count_parameters(model) == 2_768_705
    with torch.no_grad():
        assert model(torch.zeros(1, 6, 256, 256)).shape == (1, 1, 30, 30)
    small = PatchDiscriminator(width=8)
    assert small(torch.randn(2, 3, 64, 64)).shape == (2, 1, 6, 6)
    assert type(small)(**small.config).config == small.config


def test_pixelgan_judges_each_pixel_alone():
    torch.manual_seed(0)
    model = PixelDiscriminator(width=4)
    x = torch.randn(2, 3, 9, 7)
    logits = model(x)
    assert logits.shape == (2, 1, 9, 7) and model.receptive_field == model.min_size == 1
    order = torch.randperm(9 * 7)  # shuffling the pixels shuffles the verdicts the same way
    shuffled = model(x.flatten(2)[:, :, order].view(2, 3, 9, 7))
    assert torch.allclose(shuffled.flatten(2), logits.flatten(2)[:, :, order], atol=1e-6)
    x.requires_grad_(True)
    model(x)[0, 0, 4, 3].backward()
    assert (x.grad[0].abs().sum(dim=0) > 0).nonzero().tolist() == [[4, 3]]
    assert type(model)(**model.config).config == model.config
    with pytest.raises(ValueError, match="width"):
        PixelDiscriminator(width=0)


def test_pixelgan_learns_to_tell_two_colour_sets_apart_at_the_gan_learning_rate():
    # LSGAN at Adam 2e-4 (the GANs' rate): reddish pixels are real, bluish ones fake.
    torch.manual_seed(0)
    critic = PixelDiscriminator(width=64)
    optimizer = torch.optim.Adam(critic.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.tensor([0.6, -0.2, -0.3]).view(1, 3, 1, 1) + 0.2 * torch.randn(4, 3, 8, 8)
    fake = torch.tensor([-0.3, -0.1, 0.5]).view(1, 3, 1, 1) + 0.2 * torch.randn(4, 3, 8, 8)
    for _ in range(200):
        loss = 0.5 * ((critic(real) - 1).pow(2).mean() + critic(fake).pow(2).mean())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        assert float(critic(real).mean()) > 0.7 and float(critic(fake).mean()) < 0.3


# ------------------------------------------------------------------------------------ DCGAN


@pytest.mark.parametrize("upsample", ["transpose", "nearest"])
@pytest.mark.parametrize("image_size", [32, 64])
def test_dcgan_shapes(image_size, upsample):
    torch.manual_seed(0)
    generator = DCGANGenerator(z_dim=16, out_channels=3, width=8, image_size=image_size, upsample=upsample)
    discriminator = DCGANDiscriminator(in_channels=3, width=8, image_size=image_size)
    images = generator(torch.randn(4, 16))
    assert images.shape == (4, 3, image_size, image_size)
    assert images.abs().max() <= 1.0
    logits = discriminator(images)
    assert logits.shape == (4,)
    twin = type(generator)(**generator.config)
    assert count_parameters(twin) == count_parameters(generator)


def test_dcgan_parameter_counts_match_the_pytorch_tutorial():
    # The PyTorch DCGAN tutorial (64x64, nz=100, ngf=ndf=64) has 3,576,704 (G) and 2,765,568 (D)
    # parameters and no conv biases. Ours add biases where no norm follows: G's output conv (3),
    # D's first (64) and last (1) conv.
    assert count_parameters(_on_meta(DCGANGenerator, image_size=64)) == 3_576_704 + 3
    assert count_parameters(_on_meta(DCGANDiscriminator, image_size=64)) == 2_765_568 + 65


def test_dcgan_rejects_other_sizes_and_bad_inputs():
    with pytest.raises(ValueError, match=r"image_size must be one of \(32, 64\); got 48"):
        DCGANGenerator(image_size=48)
    with pytest.raises(ValueError, match="image_size"):
        DCGANDiscriminator(image_size=128)
    with pytest.raises(ValueError, match=r"\(N, 100\)"):
        DCGANGenerator(width=4)(torch.randn(2, 100, 1, 1))
    with pytest.raises(ValueError, match="3, 32, 32"):
        DCGANDiscriminator(width=4)(torch.randn(2, 3, 64, 64))


def _spectral_norms(model: nn.Module) -> list[float]:
    """Largest singular value of each conv weight, reshaped (C_out, C_in k k) as spectral norm does."""
    return [float(torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2))
            for m in model.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("cls, config", [
    (DCGANDiscriminator, dict(width=8, image_size=32, norm="none")),
    (PatchDiscriminator, dict(width=8, n_layers=2, norm="none")),
])
def test_spectral_norm_makes_every_layer_1_lipschitz(cls, config):
    torch.manual_seed(0)
    plain = cls(**config, spectral_norm=False)
    assert max(_spectral_norms(plain)) < 0.6  # N(0, 0.02) weights: far from 1 without it
    torch.manual_seed(0)
    model = cls(**config, spectral_norm=True)
    x = torch.randn(2, 3, 32, 32)
    for _ in range(10):  # each training-mode forward pass runs one power iteration
        model(x)
    sigmas = _spectral_norms(model.eval())
    assert len(sigmas) == sum(isinstance(m, nn.Conv2d) for m in plain.modules())
    assert sigmas == pytest.approx([1.0] * len(sigmas), abs=0.02)


def test_count_parameters_skips_frozen_ones():
    layer = nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    assert count_parameters(layer) == 6
    assert count_parameters(layer, trainable_only=False) == 8


def test_receptive_field_leaves_the_random_state_alone():
    state = torch.get_rng_state()
    receptive_field(3)
    assert torch.equal(state, torch.get_rng_state())


def test_receptive_field_closed_form():
    # Two stride-1 4x4 convs see 7 pixels; each stride-2 4x4 conv before them maps r to 2r + 2,
    # so r + 2 doubles from 9: R(n) = 9 * 2**n - 2.
    assert [receptive_field(n) for n in range(1, 7)] == [9 * 2**n - 2 for n in range(1, 7)]


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_patchgan_min_size_is_the_smallest_trainable_crop(n_layers):
    from gancolor.models.patchgan import check_crop_size

    D = PatchDiscriminator(3, width=4, n_layers=n_layers, norm="instance").train()
    size = D.min_size
    assert D(torch.zeros(2, 3, size, size)).shape[-1] >= 1
    with pytest.raises((ValueError, RuntimeError)):
        D(torch.zeros(2, 3, size - 1, size - 1))
    check_crop_size(D, size)
    with pytest.raises(ValueError, match=f"at least {size}"):
        check_crop_size(D, size - 1)
