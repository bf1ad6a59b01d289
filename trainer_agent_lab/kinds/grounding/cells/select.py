"""Size the grounding network to the parameter budget: parameters counted exactly for each width."""

# %% [context]
import pandas as pd
from IPython.display import display

from .context import IMAGES, VOCAB, GroundingNet, _report, count_parameters

# %% [parameters]
WIDTHS = [8, 12, 16, 24, 32, 48, 64]
PARAM_LIMIT = None
WIDTH_CAP = 32

# %% Build the network at each width and count its parameters exactly (`sum(p.numel())`); keep the widest that fits
# the parameter budget and the width the time budget can train (WIDTH_CAP).
side = int(IMAGES.shape[-1])
sizes = pd.DataFrame([{"width": w, "parameters": count_parameters(GroundingNet(w, len(VOCAB), side))}
                      for w in WIDTHS])
sizes["within budget"] = sizes["parameters"] <= (PARAM_LIMIT if PARAM_LIMIT is not None else float("inf"))
sizes["trainable in time"] = sizes["width"] <= WIDTH_CAP
display(sizes)
fitting = sizes[sizes["within budget"] & sizes["trainable in time"]]
WIDTH = int(fitting["width"].max()) if len(fitting) else None
_report(width=WIDTH, parameters=None if WIDTH is None else int(fitting["parameters"].max()),
        smallest=int(sizes["parameters"].min()), sizes=sizes.to_dict("records"))
