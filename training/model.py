"""Vanish's coarse inpainting network, after RETHINED's coarse model
(Sanchez et al. 2024, section 3.1): an encoder-decoder built only from
depthwise 3x3 and pointwise 1x1 convolutions with batch norm.

Every block trains with extra branches in the style of MobileOne/RepVGG
(Vasu et al. 2023; Ding et al. 2021): the depthwise stage is a 3x3 conv + BN,
a 1x1 conv + BN and, when the shape allows, an identity BN, summed; the
pointwise stage is a 1x1 conv + BN plus an identity BN. All of them are linear
until the activation, so `reparameterize()` folds each stage into one conv with
a bias: a BN folds as w' = w * g / sqrt(v + eps), b' = beta - mu * g / sqrt(v + eps);
a 1x1 kernel is a 3x3 kernel with only its centre set; identity is the centre
set to 1. The exported network is therefore a plain chain of depthwise and
pointwise convolutions.

Input: one tensor [N, 4, H, W] = [m - 0.5, x * m] with x in [-1, 1] and m = 1 on
known pixels (MI-GAN's raw convention, which Vanish's adapter reads from the
signature). Output: the image [N, 3, H, W] in [-1, 1]. H and W must be
multiples of 32 (the adapter pads to that).
"""
import torch
from torch import nn
import torch.nn.functional as F


def _fold(kernel, bn):
    """Kernel and bias of conv(kernel) followed by `bn` (eval statistics)."""
    std = torch.sqrt(bn.running_var + bn.eps)
    scale = bn.weight / std
    return kernel * scale.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * scale


class RepStage(nn.Module):
    """Conv kxk + BN, conv 1x1 + BN, identity BN, summed; one conv after `reparameterize`.

    `groups == channels` makes it depthwise; `kernel == 1` pointwise.
    """

    def __init__(self, cin, cout, kernel, stride=1, dilation=1, depthwise=False):
        super().__init__()
        self.cin, self.cout, self.kernel, self.stride, self.dilation = cin, cout, kernel, stride, dilation
        self.groups = cin if depthwise else 1
        pad = dilation * (kernel // 2)
        self.padding = pad
        self.main = nn.Conv2d(cin, cout, kernel, stride, pad, dilation=dilation, groups=self.groups, bias=False)
        self.main_bn = nn.BatchNorm2d(cout)
        self.scale = None
        if kernel > 1:
            self.scale = nn.Conv2d(cin, cout, 1, stride, 0, groups=self.groups, bias=False)
            self.scale_bn = nn.BatchNorm2d(cout)
        self.identity_bn = nn.BatchNorm2d(cout) if cin == cout and stride == 1 else None
        self.fused = None

    def forward(self, x):
        if self.fused is not None:
            return self.fused(x)
        y = self.main_bn(self.main(x))
        if self.scale is not None:
            y = y + self.scale_bn(self.scale(x))
        if self.identity_bn is not None:
            y = y + self.identity_bn(x)
        return y

    @torch.no_grad()
    def reparameterize(self):
        if self.fused is not None:
            return
        kernel, bias = _fold(self.main.weight, self.main_bn)
        centre = self.kernel // 2
        if self.scale is not None:
            k1, b1 = _fold(self.scale.weight, self.scale_bn)
            kernel = kernel.clone()
            kernel[:, :, centre, centre] += k1[:, :, 0, 0]
            bias = bias + b1
        if self.identity_bn is not None:
            per_group = self.cin // self.groups
            eye = torch.zeros_like(self.main.weight)
            for c in range(self.cout):
                eye[c, c % per_group, centre, centre] = 1.0
            ki, bi = _fold(eye, self.identity_bn)
            kernel = kernel + ki
            bias = bias + bi
        conv = nn.Conv2d(self.cin, self.cout, self.kernel, self.stride, self.padding,
                         dilation=self.dilation, groups=self.groups, bias=True)
        conv.weight.copy_(kernel)
        conv.bias.copy_(bias)
        self.fused = conv.to(self.main.weight.device)
        for name in ("main", "main_bn", "scale", "scale_bn", "identity_bn"):
            if getattr(self, name, None) is not None:
                setattr(self, name, None)


class Block(nn.Module):
    """Depthwise 3x3 (optionally strided or dilated) then pointwise 1x1, each followed by ReLU."""

    def __init__(self, cin, cout, stride=1, dilation=1):
        super().__init__()
        self.depthwise = RepStage(cin, cin, 3, stride, dilation, depthwise=True)
        self.pointwise = RepStage(cin, cout, 1)

    def forward(self, x):
        return F.relu(self.pointwise(F.relu(self.depthwise(x))))


class CoarseNet(nn.Module):
    """Encoder (5 halvings) - dilated bottleneck - decoder with additive skips."""

    def __init__(self, widths=(32, 64, 96, 160, 256, 320), depth=(1, 1, 2, 2, 2), dilations=(2, 4, 8, 1)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(4, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.down = nn.ModuleList()
        for i in range(5):
            layers = [Block(widths[i], widths[i + 1], stride=2)]
            layers += [Block(widths[i + 1], widths[i + 1]) for _ in range(depth[i] - 1)]
            self.down.append(nn.Sequential(*layers))
        self.middle = nn.Sequential(*[Block(widths[5], widths[5], dilation=d) for d in dilations])
        self.up = nn.ModuleList()
        self.skip = nn.ModuleList()
        for i in range(5, 0, -1):
            self.skip.append(RepStage(widths[i - 1], widths[i - 1], 1))
            self.up.append(nn.Sequential(Block(widths[i], widths[i - 1]), Block(widths[i - 1], widths[i - 1])))
        self.head = nn.Conv2d(widths[0], 3, 3, 1, 1)

    def forward(self, x):
        skips = []
        y = self.stem(x)
        for stage in self.down:
            skips.append(y)
            y = stage(y)
        y = self.middle(y)
        for up, skip in zip(self.up, self.skip):
            y = F.interpolate(y, scale_factor=2.0, mode="nearest")
            y = up[0](y) + skip(skips.pop())
            y = up[1](y)
        return self.head(y)

    def reparameterize(self):
        """Folds every batch norm and branch; the network must be in eval mode."""
        for m in self.modules():
            if isinstance(m, RepStage):
                m.reparameterize()
        fused = nn.Conv2d(4, self.stem[0].out_channels, 3, 1, 1, bias=True).to(self.stem[0].weight.device)
        kernel, bias = _fold(self.stem[0].weight, self.stem[1])
        with torch.no_grad():
            fused.weight.copy_(kernel)
            fused.bias.copy_(bias)
        self.stem = nn.Sequential(fused, nn.ReLU())
        return self


def stack_input(image, known):
    """[m - 0.5, x * m] from an image in [-1, 1] and a known-pixel mask (1 = known)."""
    return torch.cat([known - 0.5, image * known], dim=1)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())
