"""Convert the trained tabular pipeline, preprocessing included, to ONNX: one input per raw column."""

# %% [context]
import numpy as np
from sklearn.impute import SimpleImputer

from ....cells.context import ONNX_PATH
from .context import (
    CATEGORICAL_FEATURES,
    MISSING_CATEGORY,
    NUMERIC_FEATURES,
    RECIPE,
    TARGET,
    TASK,
    FoldBagClassifier,
    FoldBagRegressor,
    model,
    table_features,
)

# isort: split
# %% Convert the trained pipeline, preprocessing included, to ONNX, so it can be served without Python pickles.
# First the converters: skl2onnx's own, and onnxmltools' for LightGBM and XGBoost, registered with it.
import copy
import os

import lightgbm
import onnx
import onnxruntime as ort
import skl2onnx
import skl2onnx._parse as skl2onnx_parse
import xgboost
from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
from skl2onnx import convert_sklearn, update_registered_converter
from skl2onnx.algebra.onnx_operator import OnnxSubEstimator
from skl2onnx.algebra.onnx_ops import OnnxCast, OnnxExp, OnnxIsNaN, OnnxSub
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)
from skl2onnx.common.utils import get_column_indices as skl2onnx_column_indices
from skl2onnx.operator_converters.voting_classifier import convert_voting_classifier
from skl2onnx.operator_converters.voting_regressor import convert_voting_regressor
from skl2onnx.shape_calculators.voting_classifier import voting_classifier_shape_calculator
from skl2onnx.shape_calculators.voting_regressor import voting_regressor_shape_calculator
from sklearn import compose, impute
from sklearn.base import is_classifier


def fitted_parts(estimator):
    """The estimator and every fitted step inside it (pipelines, column transformers)."""
    yield estimator
    for _, part in getattr(estimator, "steps", []):
        yield from fitted_parts(part)
    for _, part, _columns in getattr(estimator, "transformers_", []):
        if hasattr(part, "fit"):
            yield from fitted_parts(part)
    for part in getattr(estimator, "estimators_", []) if hasattr(estimator, "named_estimators_") else []:
        yield from fitted_parts(part)  # the members of a soft vote
    if hasattr(estimator, "regressor_"):
        yield from fitted_parts(estimator.regressor_)  # the model inside a regressor of log1p(y)


# LightGBM and XGBoost convert through onnxmltools' converters, registered with skl2onnx so that they convert inside
# the pipeline; their tree operators need the ai.onnx.ml domain at version 3.
CLASSIFIER_OPTIONS = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
for booster, alias, converter in ((lightgbm.LGBMClassifier, "LightGbmLGBMClassifier", convert_lightgbm),
                                  (xgboost.XGBClassifier, "XGBoostXGBClassifier", convert_xgboost)):
    update_registered_converter(booster, alias, calculate_linear_classifier_output_shapes, converter,
                                options=CLASSIFIER_OPTIONS)
update_registered_converter(lightgbm.LGBMRegressor, "LightGbmLGBMRegressor", calculate_linear_regressor_output_shapes,
                            convert_lightgbm, options={"split": None})
update_registered_converter(xgboost.XGBRegressor, "XGBoostXGBRegressor", calculate_linear_regressor_output_shapes,
                            convert_xgboost)
# A bagged model is a soft vote of its fold models (the zoo's FoldBag classes): it converts as skl2onnx's votes do.
update_registered_converter(FoldBagClassifier, "TrainerAgentFoldBagClassifier", voting_classifier_shape_calculator,
                            convert_voting_classifier,
                            options={**CLASSIFIER_OPTIONS, "output_class_labels": [False, True]})
update_registered_converter(FoldBagRegressor, "TrainerAgentFoldBagRegressor", voting_regressor_shape_calculator,
                            convert_voting_regressor)



# %% Two parts of the pipeline that skl2onnx has no converter for, converted here: a regressor that learnt log1p of
# the target (an RMSLE objective: the model's prediction, then exp - 1) and the "was missing" flags of numbers with
# gaps (IsNaN, as 0/1 floats).
def convert_log_target(scope, operator, container):
    """A regressor that learnt log1p of the target, in ONNX: its model's prediction, then exp(.) - 1."""
    est = operator.raw_operator
    if est.func is not np.log1p or est.inverse_func is not np.expm1:
        raise NotImplementedError("only a log1p target converts to ONNX here")
    opv = container.target_opset
    inner = OnnxSubEstimator(est.regressor_, *operator.inputs, op_version=opv)
    OnnxSub(OnnxExp(inner, op_version=opv), np.array([1.0], dtype=np.float32), op_version=opv,
            output_names=operator.outputs[:1]).add_to(scope, container)


update_registered_converter(compose.TransformedTargetRegressor, "TrainerAgentLogTargetRegressor",
                            calculate_linear_regressor_output_shapes, convert_log_target)


def missing_flags_shape(operator):
    """The "was missing" flags: one float column per flagged input column."""
    rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([rows, len(operator.raw_operator.features_)])


def convert_missing_flags(scope, operator, container):
    """A MissingIndicator over every column it is given (``features="all"``), in ONNX: IsNaN, as 0/1 floats."""
    flags = operator.raw_operator
    if flags.features != "all" or not (isinstance(flags.missing_values, float) and np.isnan(flags.missing_values)):
        raise NotImplementedError("only a MissingIndicator of NaN over all its columns converts to ONNX here")
    opv = container.target_opset
    OnnxCast(OnnxIsNaN(operator.inputs[0], op_version=opv), to=onnx.TensorProto.FLOAT, op_version=opv,
             output_names=operator.outputs[:1]).add_to(scope, container)


update_registered_converter(impute.MissingIndicator, "TrainerAgentMissingFlags", missing_flags_shape,
                            convert_missing_flags)



# %% What a missing text value is sent as (MISSING_TEXT): the Data agent fills missing text with MISSING_CATEGORY
# before training, so the model knows it as a category. A pipeline that imputes text itself (a SimpleImputer looking
# for NaN) cannot be converted as it is: convert a copy whose string imputers look for "" and send "" instead (and
# whose column transformers name their columns, as skl2onnx needs).
MISSING_TEXT = MISSING_CATEGORY
model_for_onnx = copy.deepcopy(model)
for part in fitted_parts(model_for_onnx):
    if isinstance(part, compose.ColumnTransformer) and hasattr(part, "feature_names_in_"):  # by name, for skl2onnx
        part.transformers_ = [(name, step, [str(part.feature_names_in_[i]) for i in columns]
                               if isinstance(columns, list) and all(isinstance(i, int) for i in columns) else columns)
                              for name, step, columns in part.transformers_]
    if isinstance(part, SimpleImputer) and part.statistics_.dtype == object:
        if not isinstance(part.missing_values, str):
            part.missing_values = MISSING_TEXT = ""

# One ONNX input per raw column, shape [rows, 1], so the bundle takes raw values.
initial_types = [(col, FloatTensorType([None, 1])) for col in NUMERIC_FEATURES]
initial_types += [(col, StringTensorType([None, 1])) for col in CATEGORICAL_FEATURES]
final_step = model_for_onnx.steps[-1][1]
options = {id(final_step): {"zipmap": False}} if is_classifier(final_step) else None
BOOSTERS = (lightgbm.LGBMClassifier, lightgbm.LGBMRegressor, xgboost.XGBClassifier, xgboost.XGBRegressor)
ML_OPSET = 3 if any(isinstance(part, BOOSTERS) for part in fitted_parts(model_for_onnx)) else None


# %% skl2onnx finds each column a ColumnTransformer names by a linear search of the inputs: columns x inputs in all
# (12.5 million comparisons, seconds, for 5,000 columns). The same answer from a dictionary, for the columns named
# one input each (the case here); anything else goes to skl2onnx's own function, as before.
def column_indices(indices, inputs, multiple):
    """skl2onnx's ``get_column_indices`` where every column is an input's name: {input position: [0, ...]}."""
    where = {}
    for position, variable in enumerate(inputs):
        where.setdefault(variable.raw_name, position)
    if not multiple or not all(isinstance(i, str) and i in where for i in indices):
        return skl2onnx_column_indices(indices, inputs, multiple)
    found = {}
    for name in indices:
        found.setdefault(where[name], []).append(0)
    return found


skl2onnx_parse.get_column_indices = column_indices


# %% Convert at the newest opset that skl2onnx has tested, that onnx knows and that this onnxruntime loads,
# and save it with the task and target as model properties.
onnx_model, last_error = None, None
newest = min(skl2onnx.get_latest_tested_opset_version(), onnx.defs.onnx_opset_version())
for opset in range(newest, 14, -1):
    try:
        candidate = convert_sklearn(
            model_for_onnx, initial_types=initial_types, options=options,
            target_opset={"": opset, "ai.onnx.ml": ML_OPSET} if ML_OPSET else opset)
        ort.InferenceSession(candidate.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as err:  # try the next opset; the last error is raised below
        last_error = err
        continue
    onnx_model = candidate
    break
if onnx_model is None:
    known_limits = {  # skl2onnx 1.20 messages -> what to do
        "got a boolean": "skl2onnx's tree converters need protobuf < 7: pip install 'protobuf<7'",
        "Infrequent categories are not implemented": "skl2onnx groups rare categories (max_categories, "
        "min_frequency) only when two or more text columns share the encoder: retrain without grouping",
    }
    message = repr(last_error) + repr(last_error.__cause__)
    hints = [hint for text, hint in known_limits.items() if text in message]
    raise RuntimeError(f"could not convert the model to ONNX at opsets {newest}..15"
                       + "".join(f"; {hint}" for hint in hints)) from last_error
# skl2onnx turns column names into identifiers ("mean radius" -> "mean_radius"); inputs keep their order.
ONNX_INPUT_NAMES = dict(zip([name for name, _ in initial_types], [i.name for i in onnx_model.graph.input],
                            strict=True))
onnx.helper.set_model_props(onnx_model, {"task": TASK, "target": str(TARGET)})
onnx.save(onnx_model, ONNX_PATH)
onnx_bytes = ONNX_PATH.stat().st_size
print(f"{ONNX_PATH}: {onnx_bytes / 1024:.1f} KiB, opset {opset}, "
      f"{len(initial_types)} inputs, outputs {[o.name for o in onnx_model.graph.output]}")
# The inputs the exported model really takes, as a client sends them: the raw columns (the user's own names) that
# its graph's inputs are computed from (a date column is one input, though the model reads its calendar features).
# What the request's "at most N inputs" and "never use X" are checked against; the export step reports them.
EXPORTED_INPUTS = table_features.raw_names(table_features.prune_recipe(RECIPE, ONNX_INPUT_NAMES))


def to_onnx_feed(frame):
    """The ONNX inputs for the raw columns of a DataFrame: one [rows, 1] array per column."""
    feed = {}
    for col in NUMERIC_FEATURES:
        feed[ONNX_INPUT_NAMES[col]] = frame[col].to_numpy(dtype=np.float32, na_value=np.nan).reshape(-1, 1)
    for col in CATEGORICAL_FEATURES:
        values = frame[col].astype(object).where(frame[col].notna(), MISSING_TEXT)
        feed[ONNX_INPUT_NAMES[col]] = values.astype(str).to_numpy(dtype=object).reshape(-1, 1)
    return feed


# %% [context]
# Modules later cells use: re-exported so that ruff sees them used (``os``: the capacity and bundle cells; a
# text or image notebook imported it before its Server cells).
__all__ = ["os"]
