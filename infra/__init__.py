"""Clarion's AWS infrastructure as code (CDK).

Nothing here imports ``clarion`` or ``lambdas``: functions are referenced by asset path
and handler string, and SQL lives in data files under ``infra/sql``.
"""
