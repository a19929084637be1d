"""Pure models and rules, one package per feature (``clarion.domain.<feature>``), with no
I/O: the feature packages are the public face, nothing is exported from here."""

__all__: list[str] = []
