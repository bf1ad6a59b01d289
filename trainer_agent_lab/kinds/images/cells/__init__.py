"""Image classification's cells, grouped by the agent that writes them: the files of this folder, rendered by
the wrappers in ``kinds/images/*_cells.py`` (``context.py`` lists, with types, the names below).

The image cells share the set-up cell (``SEED``, ``REQUIREMENTS``, ``_report``) and the Task agent's
constraint table, and define this kernel namespace (the tabular contract in :mod:`trainer_agent_lab.cells`
keeps its meaning where the names overlap):

=======================  ========================================================================
name                     meaning
=======================  ========================================================================
``DATA_REF``             the data reference: an image folder, a CSV of ``path,label``, an ``.npz``
                         with ``X`` and ``y``, ``sklearn:digits`` or ``synthetic:shapes``
``IMAGES``               ``float32`` array ``(N, C, H, W)`` of raw pixel values (the scale a client
                         sends: 0..16 for digits, 0..255 for 8-bit files)
``LABELS``               array of class names (``str``), one per image
``PIXEL_MAX``            the largest pixel value of the source's scale (16, 255, or the arrays' max)
``IMAGE_SHAPE``          ``(C, H, W)``
``TASK``, ``TARGET``     ``"classification"`` and ``"label"``
``CLASSES``              sorted class names; ``y_*`` hold their codes
``X_train, X_test``      ``float32`` arrays ``(n, C, H, W)``, raw scale; ``y_train, y_test`` int codes
``FIT_ROWS, VAL_ROWS``   indices into ``X_train``: the rows the search trains on / validates on
``PIXEL_MEAN/STD``       per-channel statistics of ``X_train`` (the model normalises inside itself)
``SPLIT_DIR``            ``split/``: ``train.parquet``/``test.parquet`` (pixels as columns ``pixel_i_j``,
                         ``pixel_c_i_j`` for colour, plus ``label``) and ``split.json``, as the tabular
                         split cell writes them (images of at most 4096 values only)
``show_grid(...)``       a captioned grid of raw-pixel images (defined with the profile cell)
``augment(batch, gen)``  label-safe augmentation of a raw-scale ``torch`` batch (shifts, small
                         rotations, noise; horizontal flips only where ``FLIPS``)
``make_network(f, w)``   the zoo's networks (see :mod:`trainer_agent_lab.knowledge.vision_zoo`)
``TRAINED``              the search's validated networks, keyed by their pinned configuration (JSON)
``model``                the kept ``torch.nn.Module`` (eval mode, the best validation epoch's weights):
                         raw pixels in, logits out
``N_PARAMETERS``         ``sum(p.numel())`` of ``model``; ``PARAMS`` the pinned configuration
``METRICS``              test-set metrics (same names as the tabular evaluate cell)
``POS_LABEL``            ``1`` for two classes (the second class name), else ``None``; ``THRESHOLD`` is None
=======================  ========================================================================

The Server agent's image cells (``kinds/images/server_cells.py``) define the names the shared capacity cell needs
(``onnx_session``, ``to_onnx_feed``, ``single_row_ms``, ``SERVING_MODEL_PATH``, ``REQUEST_BODIES``)
and write ``feature_schema.json`` with ``"kind": "image"`` for the bundle's ``serve.py``.
"""
