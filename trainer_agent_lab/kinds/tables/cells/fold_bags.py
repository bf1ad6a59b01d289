"""Bagged models: one configuration trained on each fold's other rows, its fold models averaged."""

# %% [context]
import numpy as np

# isort: split
# %% A bagged model (`"bag": k` in its settings): one configuration trained k times, each time on all training rows but
# one fold, its probabilities (values) averaged, as AutoGluon bags its models. It is a soft vote of its fold models,
# so it counts, predicts and exports to ONNX as one.
from sklearn.base import clone
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.model_selection import KFold as BagFolds  # named apart from the feasibility check's KFold
from sklearn.model_selection import StratifiedKFold as StratifiedBagFolds
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch


def fit_on_folds(bag, X, y, splits):
    """Fit a clone of each of ``bag``'s estimators on the training rows of its own split, as the fitted vote's
    members (``estimators_``, ``named_estimators_``); ``bag`` itself."""
    bag.estimators_ = [clone(est).fit(X.iloc[rows], y[rows])
                       for (_, est), (rows, _) in zip(bag.estimators, splits, strict=True)]
    bag.named_estimators_ = Bunch(**{name: e for (name, _), e in zip(bag.estimators, bag.estimators_, strict=True)})
    return bag


class FoldBagClassifier(VotingClassifier):
    """The average of its estimators, each trained on the training rows outside one of their stratified folds."""

    def __init__(self, estimators, *, voting="soft", weights=None, n_jobs=None, flatten_transform=False,
                 verbose=False, seed=0):
        super().__init__(estimators, voting=voting, weights=weights, n_jobs=n_jobs,
                         flatten_transform=flatten_transform, verbose=verbose)
        self.seed = seed

    def fit(self, X, y, **fit_params):
        """Train each estimator on the rows outside its own fold (as many folds as estimators)."""
        self.le_ = LabelEncoder().fit(y)
        self.classes_ = self.le_.classes_
        codes = self.le_.transform(y)
        return fit_on_folds(self, X, codes, StratifiedBagFolds(len(self.estimators), shuffle=True,
                                                              random_state=self.seed).split(X, codes))


class FoldBagRegressor(VotingRegressor):
    """The mean of its estimators, each trained on the training rows outside one of their folds."""

    def __init__(self, estimators, *, weights=None, n_jobs=None, verbose=False, seed=0):
        super().__init__(estimators, weights=weights, n_jobs=n_jobs, verbose=verbose)
        self.seed = seed

    def fit(self, X, y, **fit_params):
        """Train each estimator on the rows outside its own fold (as many folds as estimators)."""
        return fit_on_folds(self, X, np.asarray(y),
                            BagFolds(len(self.estimators), shuffle=True, random_state=self.seed).split(X))
