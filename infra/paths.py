"""Where the runtime code and data files live, relative to this package."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES_DIR = PROJECT_ROOT / "clarion" / "resources"
SQL_DIR = RESOURCES_DIR / "sql" / "audience"
LAMBDA_REQUIREMENTS = PROJECT_ROOT / "lambdas" / "requirements.txt"
LAYER_BUILD_DIR = PROJECT_ROOT / "build" / "lambda-layer"
