"""Tabular classification and regression."""
