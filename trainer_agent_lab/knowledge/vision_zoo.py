"""The image model zoo: small PyTorch CNNs and MLPs, their exact parameter counts, and the widest that fits.

The networks themselves are built in the generated notebook (cells cannot import this package); the cell
file ``kinds/images/cells/networks.py`` defines them with the same shapes, and a test builds them
with torch and checks ``sum(p.numel() for p in net.parameters())`` equals :func:`count_parameters` here.

Architectures, for images of ``channels x height x width`` and ``k`` classes:

* ``cnn`` (width ``w``): ``stages`` stages (2 for images up to 16 pixels, else 3) of two 3x3 convolutions
  (no bias) each followed by batch norm and ReLU, then 2x2 max pooling; stage ``s`` has ``w * 2**s``
  channels; then global average pooling, dropout and a linear layer to ``k`` logits.
  Parameters: each convolution ``in x out x 9``, each batch norm ``2 x out``, the head ``c_last x k + k``.
* ``mlp`` (width ``h``): flatten, ``Linear(C*H*W, h)``, ReLU, dropout, ``Linear(h, h // 2)``, ReLU,
  ``Linear(h // 2, k)``. Parameters: weights and biases of the three layers.

Normalisation (per-channel mean and standard deviation of the training pixels) is a fixed buffer inside the
exported model, not a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The narrowest useful member of each family (below it the network cannot learn much).
MIN_WIDTH = {"cnn": 4, "mlp": 8}
#: The widest member tried (CPU-scale training), and the width used when the request sets no parameter budget.
MAX_WIDTH = {"cnn": 32, "mlp": 512}
DEFAULT_WIDTH = {"cnn": 16, "mlp": 256}
FAMILIES = ("cnn", "mlp")
TITLES = {"cnn": "Convolutional network (PyTorch)", "mlp": "Multi-layer perceptron (PyTorch)"}
COUNTING = {"cnn": "conv weights + batch-norm scale/shift + linear head", "mlp": "weights + biases"}


def cnn_stages(height: int, width: int) -> int:
    """How many conv stages (each halves the image) the CNN has for this image size."""
    return 2 if min(height, width) <= 16 else 3


def count_parameters(family: str, width: int, shape: tuple[int, int, int], n_classes: int) -> int:
    """Exactly ``sum(p.numel())`` of the network the notebook builds for ``family`` at ``width``."""
    channels, height, wide = shape
    if family == "cnn":
        total, c_in = 0, channels
        for stage in range(cnn_stages(height, wide)):
            c_out = width * 2**stage
            total += c_in * c_out * 9 + 2 * c_out + c_out * c_out * 9 + 2 * c_out
            c_in = c_out
        return total + c_in * n_classes + n_classes
    if family == "mlp":
        inputs, half = channels * height * wide, max(width // 2, 1)
        return inputs * width + width + width * half + half + half * n_classes + n_classes
    raise KeyError(f"no image family {family!r}; there are {', '.join(FAMILIES)}")


def widest(family: str, limit: int | None, shape: tuple[int, int, int], n_classes: int) -> int | None:
    """The largest width of ``family`` with at most ``limit`` parameters (capped at ``MAX_WIDTH``; without a
    limit, ``DEFAULT_WIDTH``); None if even the narrowest useful member is over it."""
    low, high = MIN_WIDTH[family], MAX_WIDTH[family]
    if limit is None:
        return DEFAULT_WIDTH[family]
    if count_parameters(family, low, shape, n_classes) > limit:
        return None
    while low < high:  # parameter counts grow with width: bisect for the last width within the limit
        mid = (low + high + 1) // 2
        if count_parameters(family, mid, shape, n_classes) <= limit:
            low = mid
        else:
            high = mid - 1
    return low


@dataclass(frozen=True)
class ImageCandidate:
    """A family judged against the parameter budget: the width chosen (None if it cannot fit) and why."""

    family: str
    width: int | None
    parameters: int
    min_parameters: int
    reason: str

    @property
    def kept(self) -> bool:
        """Whether the family fits the budget."""
        return self.width is not None


def candidates(shape: tuple[int, int, int], n_classes: int, limit: int | None) -> list[ImageCandidate]:
    """Every family at the widest width within ``limit`` parameters (inclusive), CNNs first."""
    judged = []
    for family in FAMILIES:
        smallest = count_parameters(family, MIN_WIDTH[family], shape, n_classes)
        width = widest(family, limit, shape, n_classes)
        if width is None:
            judged.append(ImageCandidate(family, None, smallest, smallest,
                                         f"needs at least {smallest:,} parameters (width {MIN_WIDTH[family]}), "
                                         f"over the budget of {limit:,}"))
            continue
        count = count_parameters(family, width, shape, n_classes)
        why = "no parameter budget: the default width" if limit is None else \
            f"the widest that fits {limit:,} parameters"
        judged.append(ImageCandidate(family, width, count, smallest, f"width {width}: {why}"))
    return judged
