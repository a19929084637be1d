"""How another project's rows are told apart in the tables and the lake the projects
share: their ids carry ``app#<project id>#`` (the default project's have no prefix).
Kept apart from the audience adapters so the segment query can read it without
importing them (they import the segment query)."""

from __future__ import annotations

from clarion.domain.common.ids import PROJECT_KEY_PREFIX

# One value with the id rule that keeps endpoint ids from starting with it.
PROJECT_KEY = PROJECT_KEY_PREFIX
