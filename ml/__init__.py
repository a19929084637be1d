"""Churn modelling outside the product runtime: the training entry point and offline
evaluation. The features SQL lives in ``clarion/resources/sql/churn/`` (package data, so the
Lambda functions ship it); the simulator in ``clarion_devkit/samples/churn_history.py``."""
