"""The judge: a classifier trained on the real training images, which scores the generated ones; and the
Fréchet distance on its features, with the real-vs-real floor."""

# %% [context]
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .context import CLASSES, IMAGE_SHAPE, N_CLASSES, SEED, X_test, X_train, _report, scaled, y_test, y_train

# isort: split
# %% The judge, trained here on the real training images only: a small CNN, scored on the held-out real images,
# so its verdict on generated images can be trusted as far as this score. Its last hidden layer gives the
# features of the Fréchet distance (FID's recipe, with this judge in place of an Inception network, which would
# need a download and knows nothing of these classes).
import time

import scipy.linalg
from sklearn.decomposition import PCA

# %% [parameters]
JUDGE_SECONDS = 20.0
JUDGE_EPOCHS = 40


# %% [hidden] The judge's network (two convolutions, 64 features, one logit per class), and the Fréchet distance.
class Judge(nn.Module):
    def __init__(self):
        super().__init__()
        channels, height, width = IMAGE_SHAPE
        self.conv = nn.Sequential(nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.features = nn.Sequential(self.conv, nn.Linear(32 * (height // 4) * (width // 4), 64), nn.ReLU())
        self.head = nn.Linear(64, N_CLASSES)

    def forward(self, x):
        return self.head(self.features(x))


def as_tensor(images):
    return torch.from_numpy(scaled(images).reshape(len(images), *IMAGE_SHAPE))


def frechet(a, b):
    """The Fréchet distance between Gaussians fitted to feature rows ``a`` and ``b``."""
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    ridge = 1e-6 * np.eye(a.shape[1])  # dead features make a covariance singular: the usual small offset
    cov_a, cov_b = np.cov(a, rowvar=False) + ridge, np.cov(b, rowvar=False) + ridge
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sqrtm's accuracy warning: its tiny imaginary part is dropped below
        root = scipy.linalg.sqrtm(cov_a @ cov_b)
    root = root.real if np.iscomplexobj(root) else root
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b - 2 * root))


# %% Train the judge for at most JUDGE_EPOCHS epochs or JUDGE_SECONDS (a single class has nothing to tell apart:
# the features are then the real images' first principal components), and measure the Fréchet distance between
# the real training and held-out images: the floor any generator is compared with.
if N_CLASSES > 1 and min(IMAGE_SHAPE[1:]) >= 4:
    torch.manual_seed(SEED)
    judge_net, began = Judge(), time.perf_counter()
    optimiser = torch.optim.Adam(judge_net.parameters(), lr=2e-3)
    x_all, y_all = as_tensor(X_train), torch.from_numpy(y_train).long()
    for judge_epochs in range(1, JUDGE_EPOCHS + 1):  # noqa: B007  (the count is printed below)
        for pick in torch.randperm(len(x_all)).split(64):
            loss = F.cross_entropy(judge_net(x_all[pick]), y_all[pick])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        if time.perf_counter() - began > JUDGE_SECONDS:
            break
    judge_net.eval()

    def judge_predict(images):
        """The class codes the judge sees in raw-pixel images."""
        with torch.no_grad():
            return judge_net(as_tensor(images)).argmax(1).numpy()

    def features(images):
        """The judge's last hidden layer for raw-pixel images."""
        with torch.no_grad():
            return judge_net.features(as_tensor(images)).numpy().astype(np.float64)

    JUDGE_ACCURACY = float(np.mean(judge_predict(X_test) == y_test))
else:
    judge_net, judge_predict, JUDGE_ACCURACY = None, None, None
    pca = PCA(n_components=min(32, len(X_train) - 1), random_state=SEED).fit(scaled(X_train))

    def features(images):
        """The first principal components of the real training images, for raw-pixel images."""
        return pca.transform(scaled(images))


train_features = features(X_train)
FRECHET_FLOOR = frechet(train_features, features(X_test))
if JUDGE_ACCURACY is not None:
    print(f"The judge recognises {JUDGE_ACCURACY:.1%} of the held-out real images ({len(CLASSES)} classes, chance "
          f"{1 / len(CLASSES):.1%}), trained {judge_epochs} epochs in {time.perf_counter() - began:.1f} s")
print(f"Fréchet distance between the real training and held-out images (the floor): {FRECHET_FLOOR:.3f}")
_report(judge_accuracy=JUDGE_ACCURACY, frechet_floor=FRECHET_FLOOR)
