"""How another project's rows are told apart in the tables and the lake the projects
share: their ids carry ``app#<project id>#`` (the default project's have no prefix).
Kept apart from the audience adapters so the segment query can read it without
importing them (they import the segment query)."""

from __future__ import annotations

PROJECT_KEY = "app#"
