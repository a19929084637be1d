"""Churn modelling outside the product runtime: the training entry point and offline
evaluation. The features SQL lives in ``clarion/sql/churn/`` (package data, so the
Lambda functions ship it); the simulator in ``clarion/services/churn_simulation.py``."""
