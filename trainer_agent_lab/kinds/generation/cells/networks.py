"""The conditional VAE (encoder, decoder), how it draws samples, and its training loop within a time budget."""

# %% [context]
import math
import time

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

from .context import IMAGE_SHAPE, N_CLASSES, PIXEL_MAX, SEED, X_train, scaled, y_train

# isort: split
# %% The generator: a conditional variational autoencoder (CVAE) of small fully connected layers. Why this one
# on a CPU: it draws an image in ONE pass of its decoder (a diffusion model needs tens to hundreds of passes),
# it trains stably in seconds to minutes (a GAN's duel often does not), and its decoder is a plain stack of
# matrix products that ONNX serves in well under a millisecond. The class goes in as a one-hot code.
from tqdm.auto import tqdm

# %% [parameters]
LATENT_DIM = 16


# %% [hidden] The network: encoder (image + class -> mean and log-variance of the latent code) and decoder
# (latent code + class -> pixel logits); sampling draws raw-scale images of any classes.
class CVAE(nn.Module):
    """A conditional VAE over flat images in 0..1."""

    def __init__(self, width, n_classes=N_CLASSES, latent=LATENT_DIM):
        super().__init__()
        n_pixels = int(np.prod(IMAGE_SHAPE))
        self.n_classes, self.latent = n_classes, latent
        self.encoder = nn.Sequential(nn.Linear(n_pixels + n_classes, width), nn.ReLU(), nn.Linear(width, width),
                                     nn.ReLU(), nn.Linear(width, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent + n_classes, width), nn.ReLU(), nn.Linear(width, width),
                                     nn.ReLU(), nn.Linear(width, n_pixels))

    def one_hot(self, labels):
        return F.one_hot(labels.long(), self.n_classes).float()

    def forward(self, x, labels):
        mean, log_var = self.encoder(torch.cat([x, self.one_hot(labels)], 1)).chunk(2, dim=1)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        return self.decoder(torch.cat([z, self.one_hot(labels)], 1)), mean, log_var


def make_cvae(width):
    """The CVAE of hidden width ``width``, seeded."""
    torch.manual_seed(SEED)
    return CVAE(width)


def count_parameters(net):
    return int(sum(p.numel() for p in net.parameters()))


def sample(net, labels, seed, temperature=1.0):
    """Raw-scale images (N, C, H, W) the decoder draws for the class codes ``labels`` from seeded noise."""
    noise = torch.from_numpy(np.random.default_rng(seed).standard_normal((len(labels), net.latent)).astype(np.float32))
    with torch.no_grad():
        logits = net.decoder(torch.cat([temperature * noise, net.one_hot(torch.as_tensor(labels))], 1))
    return (torch.sigmoid(logits).numpy() * PIXEL_MAX).reshape(len(labels), *IMAGE_SHAPE)


# %% [hidden] Training: Adam on the VAE loss (pixel cross-entropy + KL divergence), in epochs until the time
# budget (at least min_epochs) or the epoch cap, with a progress bar; a few times along the way it draws one
# image of each class from the same noise, so the notebook shows how the samples sharpen.
def train_cvae(width, seconds, lr=3e-3, batch_size=128, max_epochs=3000, min_epochs=3, snapshots=4):
    net = make_cvae(width)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    x_all, y_all = torch.from_numpy(scaled(X_train)), torch.from_numpy(y_train)
    generator, rows, shots = torch.Generator().manual_seed(SEED), [], []
    shown = np.arange(min(N_CLASSES, 12))
    began, next_shot = time.perf_counter(), 0
    bar = tqdm(total=round(seconds), desc=f"CVAE width {width}", unit="s")
    for epoch in range(1, max_epochs + 1):
        order, totals = torch.randperm(len(x_all), generator=generator), np.zeros(2)
        for start in range(0, len(order), batch_size):
            pick = order[start:start + batch_size]
            logits, mean, log_var = net(x_all[pick], y_all[pick])
            recon = F.binary_cross_entropy_with_logits(logits, x_all[pick], reduction="sum") / len(pick)
            kl = -0.5 * torch.sum(1 + log_var - mean**2 - log_var.exp()) / len(pick)
            optimiser.zero_grad()
            (recon + kl).backward()
            optimiser.step()
            totals += [float(recon) * len(pick), float(kl) * len(pick)]
        spent = time.perf_counter() - began
        rows.append({"epoch": epoch, "reconstruction": totals[0] / len(x_all), "kl": totals[1] / len(x_all),
                     "seconds": round(spent, 2)})
        bar.update(min(round(spent), round(seconds)) - bar.n)
        done = (spent >= seconds and epoch >= min_epochs) or epoch == max_epochs
        if done or spent >= seconds * (next_shot + 1) / snapshots * 0.999:
            net.eval()
            shots.append((epoch, sample(net, shown, SEED)))
            net.train()
            next_shot = math.floor(spent / seconds * snapshots)
        if done:
            break
    bar.close()
    return net.eval(), pd.DataFrame(rows), shots
