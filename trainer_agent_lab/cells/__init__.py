"""The cells the agents write: one renderer (:mod:`.render`), the cell files every kind shares, and their wrappers.

A generated notebook shares one kernel namespace: each cell may use the names earlier cells defined. That
contract is written down, with types and a line each, in the ``context.py`` beside the cell files: this folder's
(set-up, Server-agent names every kind shares) and each kind's (``kinds/<kind>/cells/context.py``). How a cell
file is written: ``docs/cell-files.md``.
"""
