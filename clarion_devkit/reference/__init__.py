"""Reference models the property tests and benchmarks check the fast paths against."""

from clarion_devkit.reference.segments import ReferenceEvaluator

__all__ = ["ReferenceEvaluator"]
