"""Arrow helpers the local adapters share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

__all__ = ["map_array"]


def map_array(maps: Sequence[Mapping[str, object]], kind: pa.DataType) -> pa.Array:
    """Never-null maps as one Arrow map array of type ``kind``, from flat keys and values
    (one pass, no Python object per entry beyond the two lists)."""
    offsets = [0]
    keys: list[str] = []
    values: list[object] = []
    for mapping in maps:
        keys.extend(mapping)
        values.extend(mapping.values())
        offsets.append(len(keys))
    return pa.MapArray.from_arrays(
        pa.array(offsets, type=pa.int32()),
        pa.array(keys, type=kind.key_type),
        pa.array(values, type=kind.item_type),
        type=kind,
    )
