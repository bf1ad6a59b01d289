"""Hand the changed requirements to the cells that follow (a follow-up message changed them)."""

# %% [parameters]
REQUIREMENTS = {"constraints": []}

# %% Hand the changed requirements to the cells that follow.
