"""Reference models the property tests and benchmarks check the fast paths against."""

from clarion_devkit.reference.segments import ReferenceEvaluator
from clarion_devkit.reference.templates import BlockLocalResolution

__all__ = ["BlockLocalResolution", "ReferenceEvaluator"]
