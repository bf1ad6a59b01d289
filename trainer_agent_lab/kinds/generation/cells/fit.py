"""Train the generator within its time budget, then show its learning curves and samples as they sharpened."""

# %% [context]
import numpy as np
import plotly.graph_objects as go

from .context import CLASSES, _report, count_parameters, show_grid, train_cvae

# %% [parameters]
PARAMS = {"family": "cvae", "width": 256, "latent_dim": 16, "seconds": 60.0, "lr": 3e-3, "batch_size": 128}
PARAM_LIMIT = None

# %% Train the generator for the seconds it was given (pinned: a re-run trains for as long), count its
# parameters exactly, and show how its losses fell.
model, history, snapshots = train_cvae(PARAMS["width"], PARAMS["seconds"], lr=PARAMS["lr"],
                                       batch_size=PARAMS["batch_size"])
N_PARAMETERS, DECODER_PARAMETERS = count_parameters(model), count_parameters(model.decoder)
fig = go.Figure([go.Scatter(x=history["epoch"], y=history["reconstruction"], name="reconstruction"),
                 go.Scatter(x=history["epoch"], y=history["kl"], name="KL divergence", yaxis="y2")])
fig.update_layout(title=f"Learning curves of the CVAE ({len(history)} epochs, {history['seconds'].iloc[-1]:.0f} s)",
                  xaxis_title="epoch", yaxis={"title": "reconstruction loss"},
                  yaxis2={"title": "KL divergence", "overlaying": "y", "side": "right"})
fig.show()

# %% Samples per class as it trained: the same noise, one image of each class, at a few points of the training.
shown = [image for _, images in snapshots for image in images]
titles = [f"{CLASSES[j]} @{epoch}" for epoch, images in snapshots for j in range(len(images))]
show_grid(np.asarray(shown), titles, "Samples while training (class @ epoch)", columns=len(snapshots[0][1]))
how = f"trained {len(history)} epochs in {history['seconds'].iloc[-1]:.0f} s"
print(f"CVAE (width {PARAMS['width']}, {PARAMS['latent_dim']} latent numbers): {N_PARAMETERS:,} parameters, "
      f"{DECODER_PARAMETERS:,} of them in the decoder that is served; {how}")
if PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT:
    print(f"Over the budget of {PARAM_LIMIT:,} parameters.")
_report(family="cvae", parameters=N_PARAMETERS, decoder_parameters=DECODER_PARAMETERS, params=PARAMS, how=how,
        epochs=len(history), threshold=None, over_budget=PARAM_LIMIT is not None and N_PARAMETERS > PARAM_LIMIT)
