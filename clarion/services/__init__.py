"""Use cases over the ports, one package per feature (``clarion.services.<feature>``):
the feature packages are the public face, nothing is exported from here."""

__all__: list[str] = []
