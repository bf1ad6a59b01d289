"""Evaluate the generator as a user would: does the judge recognise what it draws, how far are its images from
real ones (Fréchet distance beside the real-vs-real floor), and does it copy its training images?"""

# %% [context]
import numpy as np
import pandas as pd
from IPython.display import display

from .context import (
    CLASSES,
    FRECHET_FLOOR,
    JUDGE_ACCURACY,
    N_CLASSES,
    SEED,
    X_test,
    X_train,
    _report,
    features,
    frechet,
    judge_predict,
    model,
    sample,
    scaled,
    show_grid,
    train_features,
    y_test,
)

# %% [parameters]
PER_CLASS_MIN = 50

# %% Draw as many images of each class as the held-out split has (at least PER_CLASS_MIN), let the judge say
# what each shows, and compare the generated images with the real ones in the judge's features.
per_class = np.maximum(np.bincount(y_test, minlength=N_CLASSES), PER_CLASS_MIN)
generated_codes = np.repeat(np.arange(N_CLASSES), per_class)
generated = sample(model, generated_codes, SEED + 1)
recognised = judge_predict(generated) == generated_codes if JUDGE_ACCURACY is not None else None
gen_features = features(generated)
test_sized = np.random.default_rng(SEED).permutation(len(generated))[:len(X_test)]
METRICS = {"generated_class_accuracy": None if recognised is None else float(recognised.mean()),
           "frechet_distance": frechet(train_features, gen_features[test_sized]),
           "frechet_floor": FRECHET_FLOOR, "judge_accuracy": JUDGE_ACCURACY}
per_class_table = pd.DataFrame({"class": CLASSES, "generated": per_class,
                                "recognised by the judge": [None if recognised is None else
                                                            float(recognised[generated_codes == k].mean())
                                                            for k in range(N_CLASSES)]})
display(per_class_table.round(3))
print(f"Fréchet distance real vs generated {METRICS['frechet_distance']:.3f}, against real vs real (the floor) "
      f"{FRECHET_FLOOR:.3f}: the closer to the floor, the more the generated images look like the real ones to "
      "the judge (on as many images each).")

# %% Samples of every class (the rows the judge did not recognise are marked), and the memorisation check: the
# nearest training image of generated samples. A generator that copies its training images would have them
# much nearer than held-out real images are.
shown = np.concatenate([np.flatnonzero(generated_codes == k)[:4] for k in range(min(N_CLASSES, 12))])
marks = ["" if recognised is None or recognised[i] else " (missed)" for i in shown]
show_grid(generated[shown], [f"{CLASSES[generated_codes[i]]}{m}" for i, m in zip(shown, marks, strict=True)],
          "Generated samples (4 per class)", columns=8)
flat_train = scaled(X_train)


def nearest(rows):
    """(index of the nearest training image, its Euclidean distance in 0..1 pixels) of each row."""
    distances = ((rows**2).sum(1)[:, None] - 2 * rows @ flat_train.T + (flat_train**2).sum(1)[None]).clip(0)
    return distances.argmin(1), np.sqrt(distances.min(1))


gen_near, gen_distance = nearest(scaled(generated))
_, test_distance = nearest(scaled(X_test))
METRICS["nearest_neighbour_ratio"] = float(np.median(gen_distance) / max(np.median(test_distance), 1e-9))
pairs = shown[:8]
show_grid(np.concatenate([generated[pairs], X_train[gen_near[pairs]]]),
          [f"generated {CLASSES[generated_codes[i]]}" for i in pairs] + [f"nearest train {gen_distance[i]:.2f}"
                                                                           for i in pairs],
          "Memorisation check: generated samples (top) and their nearest training images (bottom)", columns=8)
print(f"Median distance to the nearest training image: generated {np.median(gen_distance):.3f}, held-out real "
      f"{np.median(test_distance):.3f} (ratio {METRICS['nearest_neighbour_ratio']:.2f}; well under 1 would mean "
      "copies of training images)")
_report(metrics=METRICS, per_class=per_class_table.to_dict(orient="records"), n_generated=len(generated))
