"""Cell templates, grouped by the agent that writes them.

The generated notebook shares one kernel namespace. Each agent's cells may rely on the names that earlier
cells define; this is the contract between the templates (tabular tasks):

=====================  ==========================================================================
name                   meaning
=====================  ==========================================================================
``SEED``               int, the seed every random step uses
``_report(**kw)``      hands a JSON-able dict back to the agents as a display output of MIME type
                       ``application/vnd.trainer-agent.result+json`` (defined by the setup cell)
``REQUIREMENTS``       dict: the request's measurable parts (``constraints`` as
                       ``[{"name", "op", "value"}]``, ``qps``, ``container_memory_mb``,
                       ``quantize_int8``, ``time_budget_s``)
``TASK``               ``"classification"`` or ``"regression"``
``TARGET``             name of the target column
``df``                 the loaded (then cleaned) ``pandas.DataFrame``
``NUMERIC_FEATURES``   list of numeric input column names (raw, before preprocessing)
``CATEGORICAL_FEATURES`` list of string input column names
``X_train, X_test``    ``DataFrame`` of the raw input columns (numeric as float64, categorical as str)
``y_train, y_test``    ``numpy`` arrays; classification: int codes ``0..k-1``; regression: float64
``CLASSES``            list of class names (``CLASSES[code]``); ``None`` for regression
``POS_LABEL``          int code of the positive class for binary tasks, else ``None``
``model``              the fitted scikit-learn ``Pipeline`` (preprocessing + estimator) on raw columns
``THRESHOLD``          probability threshold on ``POS_LABEL`` for binary tasks, else ``None``
``N_PARAMETERS``       int, the model's parameter count (see ``knowledge.zoo``)
``METRICS``            dict of test-set metrics
``BUNDLE_DIR``         ``pathlib.Path("bundle")``, relative to the notebook's folder
``CONSTRAINT_ROWS``    the Task agent's constraint table (name, target, actual, met), read by the bundle
=====================  ==========================================================================

The Server agent's cells add more (ONNX paths, feed helpers, ``CAPACITY``); :mod:`.server` lists them.
"""
