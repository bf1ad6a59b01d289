"""The tabular model zoo: which families exist, how their parameters are counted, what they export to.

How parameters are counted (the same rules the generated ``count_parameters`` cell applies):

* linear models (logistic / ridge): every coefficient plus every intercept;
* trees and tree ensembles: each split node holds 2 parameters (feature index and threshold) and each leaf
  holds its output values (one per class for classifiers, one for regressors), summed over all trees;
* boosting (scikit-learn's, LightGBM, XGBoost): the same per tree, summed over every stage (and class) plus the
  initial prediction;
* small ensembles (soft voting of zoo members): every member counted in full, summed;
* neural networks (MLP): every weight and bias;
* k-nearest neighbours: the stored training matrix (rows x encoded features) — kNN keeps its data;
* kernel SVMs: support vectors x features, plus dual coefficients and intercepts;
* Gaussian naive Bayes: a mean and a variance per class and feature, plus the class priors.

Fixed preprocessing (imputation values, scaling, one-hot categories) is not counted: it is part of the
feature schema, not of the model, and it is the same for every family.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """A model family the Model agent can train on tabular data."""

    name: str
    title: str
    tasks: tuple[str, ...]
    counting: str
    cost: int  # relative training cost, 1 (cheap) .. 5 (expensive); cheap families are tried first
    #: Whether a person can check the model by hand: a linear model (one weight per input) or, kept shallow, a tree.
    interpretable: bool = False
    #: Whether it honours monotonic constraints (scikit-learn's ``monotonic_cst``; binary classes or regression).
    monotonic: bool = False

    def min_parameters(self, n_features: int, n_classes: int, n_train: int) -> int:
        """The fewest parameters a useful member of the family has on this data."""
        outputs = n_classes if n_classes > 2 else 1
        leaf = n_classes if n_classes >= 2 else 1
        return {
            "logistic_regression": outputs * (n_features + 1),
            "logistic_l1": outputs * (n_features + 1),
            "elastic_net_logistic": outputs * (n_features + 1),
            "elastic_net": n_features + 1,
            "ridge": n_features + 1,
            "gaussian_nb": 2 * max(n_classes, 1) * n_features + max(n_classes, 1),
            # a tree that can tell the classes apart needs about as many leaves as classes
            "decision_tree": 2 * (max(leaf, 2) - 1) + max(leaf, 2) * leaf,
            "gradient_boosting": 10 * outputs * 7 + outputs,  # 10 stages of depth-2 trees
            "hist_gradient_boosting": 10 * outputs * 7 + outputs,
            "lightgbm": 10 * outputs * 7 + outputs,
            "xgboost": 10 * outputs * 7 + outputs,
            "random_forest": 10 * (2 * 3 + 4 * leaf),  # 10 trees of 4 leaves
            "extra_trees": 10 * (2 * 3 + 4 * leaf),
            "mlp": n_features * 4 + 4 + 4 * outputs + outputs,  # one hidden layer of 4 units
            "svm": min(n_train, 10 + n_classes) * (n_features + 1),
            "knn": n_train * n_features,
        }[self.name]


#: The zoo, cheapest first. Every family here exports to ONNX with skl2onnx (histogram boosting needs
#: protobuf < 7, which pyproject pins); LightGBM and XGBoost through onnxmltools' converters.
FAMILIES: tuple[Family, ...] = (
    Family("logistic_regression", "Logistic regression", ("classification",),
           "coefficients + intercepts", 1, interpretable=True),
    Family("logistic_l1", "L1 (lasso) logistic regression", ("classification",),
           "coefficients + intercepts (zeros counted)", 1, interpretable=True),
    Family("elastic_net_logistic", "Elastic-net logistic regression", ("classification",),
           "coefficients + intercepts (zeros counted)", 1, interpretable=True),
    Family("ridge", "Ridge regression", ("regression",), "coefficients + intercept", 1, interpretable=True),
    Family("elastic_net", "Elastic-net regression", ("regression",), "coefficients + intercept (zeros counted)", 1,
           interpretable=True),
    Family("gaussian_nb", "Gaussian naive Bayes", ("classification",),
           "2 x classes x features + class priors", 1),
    Family("decision_tree", "Decision tree", ("classification", "regression"),
           "2 per split + outputs per leaf", 1, interpretable=True, monotonic=True),
    Family("hist_gradient_boosting", "Histogram gradient boosting", ("classification", "regression"),
           "2 per split + 1 per leaf, all stages", 2, monotonic=True),
    Family("lightgbm", "LightGBM", ("classification", "regression"),
           "2 per split + 1 per leaf, all trees", 2),
    Family("xgboost", "XGBoost", ("classification", "regression"),
           "2 per split + 1 per leaf, all trees + base score", 2),
    Family("gradient_boosting", "Gradient boosting", ("classification", "regression"),
           "2 per split + 1 per leaf, all stages", 3),
    Family("random_forest", "Random forest", ("classification", "regression"),
           "2 per split + outputs per leaf, all trees", 3, monotonic=True),
    Family("extra_trees", "Extra trees", ("classification", "regression"),
           "2 per split + outputs per leaf, all trees", 3, monotonic=True),
    Family("mlp", "Multi-layer perceptron", ("classification", "regression"), "weights + biases", 3),
    Family("svm", "RBF support vector machine", ("classification", "regression"),
           "support vectors x features + dual coefficients", 4),
    Family("knn", "k-nearest neighbours", ("classification", "regression"),
           "stored training rows x features", 2),
)


@dataclass(frozen=True)
class Candidate:
    """A family judged against the request: kept or left out, and why."""

    family: Family
    min_parameters: int
    kept: bool
    reason: str


#: How many zoo members a soft-voting ensemble may combine (the search tries one after every family has run).
ENSEMBLE_MEMBERS = 3

#: The deepest tree an interpretable model may be (at most 2**3 = 8 leaves: a rule a person can follow by hand).
SHALLOW_TREE_DEPTH = 3


def candidates(task: str, n_features: int, n_classes: int, n_train: int,
               max_parameters: float | None, strict: bool = True, *, interpretable: bool = False,
               monotonic: bool = False) -> list[Candidate]:
    """Judge every family of ``task`` against the parameter budget (``strict``: budget is ``<``) and the request's
    model requirements: ``interpretable`` keeps linear models and shallow trees only; ``monotonic`` keeps the
    families that honour monotonic constraints (none for more than two classes)."""
    judged = []
    for fam in FAMILIES:
        if task not in fam.tasks:
            continue
        low = fam.min_parameters(n_features, n_classes, n_train)
        if interpretable and not fam.interpretable:
            judged.append(Candidate(fam, low, False, "not interpretable: the request asks for a model a person can "
                                    f"check (a linear model or a tree of depth <= {SHALLOW_TREE_DEPTH})"))
            continue
        if monotonic and (not fam.monotonic or n_classes > 2):
            why = ("monotonic constraints are not supported for more than two classes" if fam.monotonic else
                   "cannot be constrained to be monotonic in an input")
            judged.append(Candidate(fam, low, False, why))
            continue
        if max_parameters is None:
            judged.append(Candidate(fam, low, True, "no parameter budget"))
            continue
        fits = low < max_parameters if strict else low <= max_parameters
        reason = (f"smallest useful model has ~{low:,} parameters, within the budget" if fits else
                  f"needs at least ~{low:,} parameters, over the budget of {max_parameters:,.0f}")
        judged.append(Candidate(fam, low, fits, reason))
    return judged


def smallest_model(task: str, n_features: int, n_classes: int, n_train: int) -> Candidate:
    """The family with the fewest parameters that can represent the task at all."""
    pool = candidates(task, n_features, n_classes, n_train, None)
    return min(pool, key=lambda c: c.min_parameters)
#: How many fold models a bagged model averages (``kinds/tables/cells/bagging.py``: the chosen configuration, trained
#: on each fold's other rows, where the limits, the table's size and the time allow it).
BAG_FOLDS = 5
