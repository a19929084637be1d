"""Every JSON output of the demo's steps is what it was when the golden file was taken."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from demo_outputs import GOLDEN, demo_outputs


@pytest.mark.slow
def test_the_demo_outputs_match_the_golden_file(tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))

    outputs = demo_outputs(tmp_path / "home")

    assert sorted(outputs) == sorted(golden)
    for step, expected in golden.items():
        assert outputs[step] == expected, step
