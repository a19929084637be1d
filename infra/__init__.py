"""Clarion's AWS infrastructure as code (CDK).

Nothing here imports ``clarion`` or ``lambdas``: functions are referenced by asset path
and handler string, and what the runtime and the stacks must agree on (SQL, table and
view columns, environment variable names) lives in data files under
``clarion/resources``, read here by path (``infra.paths.RESOURCES_DIR``).
"""
