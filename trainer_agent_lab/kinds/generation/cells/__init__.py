"""Image generation's cells, grouped by the agent that writes them (``context.py`` lists, with types, the names
they define). The Data agent reuses the image kind's Pillow, shapes, grid and profile cells; the names below are
this kind's own (``IMAGES``, ``LABELS``, ``PIXEL_MAX``, ``IMAGE_SHAPE``, ``X_train``/``X_test`` keep the image
kind's meaning):

=======================  ========================================================================
name                     meaning
=======================  ========================================================================
``TASK``, ``TARGET``     ``"generation"`` and ``"label"`` (the class an image is drawn for)
``CLASSES``              sorted class names (one, ``"image"``, for a folder without sub-folders)
``make_cvae(w)``         the conditional VAE of hidden width ``w`` (``LATENT_DIM`` latent numbers)
``judge``                the classifier trained on the real training images; ``features(x)`` its
                         last hidden layer, on which ``frechet(a, b)`` is measured
``model``                the trained CVAE (eval mode); ``decoder`` its served part
``METRICS``              ``generated_class_accuracy``, ``frechet_distance``, ``frechet_floor``, ...
``to_onnx_feed(items)``  the decoder's inputs for one generated image per item (classes in turn,
                         seeded noise): what the shared timing and capacity cells time
=======================  ========================================================================
"""
