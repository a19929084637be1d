"""Builds the ``runtime-deps`` Lambda layer from wheels, without Docker.

``pip install --target`` of ``lambdas/requirements.txt`` into ``build/lambda-layer/python``
(the folder layout Lambda expects). The build is skipped while the requirements file is
unchanged: its hash is stored beside the packages.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from infra.paths import LAMBDA_REQUIREMENTS, LAYER_BUILD_DIR

HASH_FILE_NAME = ".requirements.sha256"
# The Lambda runtime the layer is built for; wheels are chosen for it, not for the
# Python running the build.
LAYER_PYTHON_VERSION = "3.12"
LAYER_PLATFORM = "manylinux2014_x86_64"


def requirements_hash(requirements: Path) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def build_runtime_deps_layer(
    requirements: Path = LAMBDA_REQUIREMENTS, build_dir: Path = LAYER_BUILD_DIR
) -> Path:
    """Install the pinned wheels into ``build_dir/python`` unless already current.

    Returns
    -------
    Path
        ``build_dir``, ready for ``lambda.Code.from_asset``.
    """
    wanted = requirements_hash(requirements)
    hash_file = build_dir / HASH_FILE_NAME
    if hash_file.exists() and hash_file.read_text(encoding="utf-8").strip() == wanted:
        return build_dir
    shutil.rmtree(build_dir, ignore_errors=True)
    target = build_dir / "python"
    target.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(target),
        "--only-binary=:all:",
        "--no-deps",
        "--python-version",
        LAYER_PYTHON_VERSION,
        "--platform",
        LAYER_PLATFORM,
        "--implementation",
        "cp",
        "-r",
        str(requirements),
    ]
    subprocess.run(command, check=True)  # noqa: S603 (fixed arguments, no shell)
    # Installed console scripts and caches are useless in a layer and change its hash.
    shutil.rmtree(target / "bin", ignore_errors=True)
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    hash_file.write_text(wanted + "\n", encoding="utf-8")
    return build_dir
