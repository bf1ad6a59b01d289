"""What the Model agent asks of the model search: the families, their defaults, the metric, targets and limits."""

# %% Search the model zoo within the budget: cross-validate each candidate on the training split,
# optimising the metric the request named, and stop once every target is met.
# The plan: the families the parameter budget allows and each one's default settings (tried first, so that
# every family runs once), the metric to optimise and its targets, the limits on size, the shape the request
# asks of the model (a tree's greatest depth; the inputs the prediction must be monotonic in), and the time.

# %% [parameters]
FAMILIES = ["logistic_regression", "decision_tree"]
DEFAULTS = [{"family": "logistic_regression", "lr_C": 1.0, "lr_weight": None},
            {"family": "decision_tree", "dt_leaves": 32, "dt_min_leaf": 5}]
OBJECTIVE = "accuracy"
METRIC_CONSTRAINTS = []
PARAM_LIMIT = None
BYTES_LIMIT = None
TUNE_THRESHOLD = False
TIME_BUDGET_S = 30.0
MARGIN = 0.01
PATIENCE = 25
TREE_MAX_DEPTH = None
MONOTONIC = {}
