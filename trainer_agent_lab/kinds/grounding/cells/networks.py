"""The grounding network: CNN image features and a GRU query encoder, fused (FiLM) and scored over grid cells."""

# %% [context]
import math

import numpy as np

from .context import SEED, VOCAB

# isort: split
# %% The grounding network. A small CNN turns the image into a grid of features (a cell per 8x8 pixels), with
# each cell's position as two more channels; a GRU reads the query; the query scales and shifts every cell's features
# (FiLM), two more convolutions let each cell see its neighbours ("left of the blue square"), and every cell scores
# how well it holds the object described and proposes a box around it. The answer is the best cell's box.
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm


def conv(c_in, c_out, stride=1, dilation=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


class GroundingNet(nn.Module):
    """Raw pixels [B, 3, S, S] (0..255) and token ids [B, L] in; every cell's score [B, G*G] and box [B, G*G, 4]."""

    def __init__(self, width, vocab_size, side):
        super().__init__()
        torch.manual_seed(SEED)
        self.side, self.grid = side, math.ceil(side / 8)
        self.backbone = nn.Sequential(conv(3, width, 2), conv(width, 2 * width, 2), conv(2 * width, 2 * width, 2))
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, self.grid), torch.linspace(-1, 1, self.grid), indexing="ij")
        self.register_buffer("coords", torch.stack([xs, ys])[None])
        self.embed = nn.Embedding(vocab_size, width, padding_idx=0)
        self.gru = nn.GRU(width, 2 * width, batch_first=True)
        self.film = nn.Linear(2 * width, 4 * width)
        self.mix = nn.Sequential(nn.Conv2d(2 * width + 2, 2 * width, 1, bias=False), nn.BatchNorm2d(2 * width))
        self.reason = nn.Sequential(conv(2 * width, 2 * width), conv(2 * width, 2 * width, dilation=2))
        self.head = nn.Conv2d(2 * width, 5, 1)

    def forward(self, pixels, tokens):
        features = self.backbone(pixels / 127.5 - 1.0)
        features = torch.cat([features, self.coords.expand(pixels.shape[0], -1, -1, -1)], dim=1)
        _, hidden = self.gru(self.embed(tokens))
        gamma, beta = self.film(hidden[-1]).chunk(2, dim=1)
        fused = F.relu(self.mix(features) * (1 + gamma[:, :, None, None]) + beta[:, :, None, None])
        out = self.head(self.reason(fused)).flatten(2)  # [B, 5, G*G]
        cell = self.side / self.grid
        index = torch.arange(self.grid * self.grid, device=pixels.device)
        cx = ((index % self.grid) + torch.sigmoid(out[:, 1])) * cell
        cy = ((index // self.grid) + torch.sigmoid(out[:, 2])) * cell
        w, h = torch.sigmoid(out[:, 3]) * self.side, torch.sigmoid(out[:, 4]) * self.side
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=2)
        return out[:, 0], boxes


class ServedGrounding(nn.Module):
    """What the bundle serves: the best cell's box [B, 4] (pixels of the network's input) and its score [B]."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, pixels, tokens):
        scores, boxes = self.net(pixels, tokens)
        probability = torch.softmax(scores, dim=1)
        best = probability.argmax(dim=1)
        box = torch.gather(boxes, 1, best[:, None, None].expand(-1, 1, 4))[:, 0]
        return box, torch.gather(probability, 1, best[:, None])[:, 0]


def count_parameters(net):
    return int(sum(p.numel() for p in net.parameters()))


# %% Boxes and how they are scored: IoU of two sets of boxes, the GIoU loss, and the network's boxes for a batch of
# items (structured arrays of `pixels` and `tokens`).
def box_iou(a, b):
    """IoU of matching rows of two [N, 4] arrays of boxes (x0, y0, x1, y1)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    area = lambda x: np.clip(x[:, 2] - x[:, 0], 0, None) * np.clip(x[:, 3] - x[:, 1], 0, None)  # noqa: E731
    return w * h / np.maximum(area(a) + area(b) - w * h, 1e-9)


def giou_loss(pred, true):
    """1 - generalised IoU of matching rows of two [N, 4] tensors of boxes."""
    w = (torch.min(pred[:, 2], true[:, 2]) - torch.max(pred[:, 0], true[:, 0])).clamp(min=0)
    h = (torch.min(pred[:, 3], true[:, 3]) - torch.max(pred[:, 1], true[:, 1])).clamp(min=0)
    area_p = (pred[:, 2] - pred[:, 0]).clamp(min=0) * (pred[:, 3] - pred[:, 1]).clamp(min=0)
    area_t = (true[:, 2] - true[:, 0]) * (true[:, 3] - true[:, 1])
    union = area_p + area_t - w * h
    hull = ((torch.max(pred[:, 2], true[:, 2]) - torch.min(pred[:, 0], true[:, 0]))
            * (torch.max(pred[:, 3], true[:, 3]) - torch.min(pred[:, 1], true[:, 1]))).clamp(min=1e-6)
    giou = w * h / union.clamp(min=1e-6) - (hull - union) / hull
    return (1 - giou).mean()


def predict_boxes(net, items, batch=256):
    """(boxes [N, 4], scores [N]) of the trained network for structured items."""
    served = ServedGrounding(net).eval()
    boxes, scores = [], []
    with torch.no_grad():
        for start in range(0, len(items), batch):
            part = items[start:start + batch]
            box, score = served(torch.from_numpy(np.ascontiguousarray(part["pixels"])),
                                torch.from_numpy(np.ascontiguousarray(part["tokens"])))
            boxes.append(box.numpy())
            scores.append(score.numpy())
    return np.concatenate(boxes), np.concatenate(scores)


# %% [context]
__all__ = ["tqdm", "VOCAB"]
