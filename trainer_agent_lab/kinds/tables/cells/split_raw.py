"""Keep the test rows as the user's file has them: what a client sends the bundle (its sample request)."""

# %% [context]
from .context import RAW, TEST_ROWS

# %% The test rows as the user's file has them (raw columns under their own names: dates as text, "$12.50", ...):
# the bundle takes these, and its sample request is made of them.
X_test_raw = RAW.loc[TEST_ROWS].reset_index(drop=True)
