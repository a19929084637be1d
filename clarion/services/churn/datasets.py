"""The churn datasets: the features SQL bound for a time split, its rows as a columnar
:class:`FeatureFrame`, and the SageMaker CSV inputs made from a query's CSV result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from clarion.domain.churn.datasets import (
    feature_vector,
    labels_csv,
    parse_feature_csv,
    training_csv,
    transform_csv,
)
from clarion.domain.churn.definition import ChurnDefinition
from clarion.domain.churn.model import (
    FEATURE_COLUMNS,
    ID_COLUMN,
    LABEL_COLUMN,
    RECENCY_FEATURE,
    SPLIT_COLUMN,
    ChurnConfig,
    TimeSplit,
)
from clarion.ports.analytics import AnalyticsQuery
from clarion.ports.churn import ColumnarAnalytics
from clarion.services.churn.shared import sql_source


@dataclass(frozen=True)
class FeatureFrame:
    """Rows of the features SQL as columns: ids, splits, a float32 feature matrix in
    :data:`FEATURE_COLUMNS` order (missing values 0, as :func:`feature_vector` does) and
    the labels (-1 where unknown). Built from Arrow without a dict per row."""

    ids: Any  # numpy array of str (object)
    splits: Any  # numpy array of str (object)
    features: Any  # numpy float32 (rows, len(FEATURE_COLUMNS))
    labels: Any  # numpy int8, -1 when unknown

    def __len__(self) -> int:
        return int(self.features.shape[0])

    @classmethod
    def from_arrow(cls, table: Any) -> FeatureFrame:
        """From an Arrow table with the features SQL's columns."""
        import numpy as np

        n = table.num_rows
        features = np.zeros((n, len(FEATURE_COLUMNS)), dtype=np.float32)
        for j, name in enumerate(FEATURE_COLUMNS):
            column = table.column(name).combine_chunks()
            values = column.to_numpy(zero_copy_only=False)
            if column.null_count:
                values = np.where(column.is_null().to_numpy(zero_copy_only=False), 0, values)
            features[:, j] = values
        labels = table.column(LABEL_COLUMN).combine_chunks()
        label_values = labels.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int8)
        return cls(
            np.asarray(table.column(ID_COLUMN).to_pylist(), dtype=object),
            np.asarray(table.column(SPLIT_COLUMN).to_pylist(), dtype=object),
            features,
            label_values,
        )

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> FeatureFrame:
        """From row dicts with the features SQL's columns."""
        import numpy as np

        features = np.asarray([feature_vector(r) for r in rows], dtype=np.float32).reshape(
            len(rows), len(FEATURE_COLUMNS)
        )
        labels = [-1 if r.get(LABEL_COLUMN) is None else int(r[LABEL_COLUMN]) for r in rows]
        return cls(
            np.asarray([str(r[ID_COLUMN]) for r in rows], dtype=object),
            np.asarray([str(r.get(SPLIT_COLUMN, "")) for r in rows], dtype=object),
            features,
            np.asarray(labels, dtype=np.int8),
        )

    def select(self, split: str) -> FeatureFrame:
        """The rows of one split (``train``, ``eval`` or ``score``)."""
        mask = self.splits == split
        return FeatureFrame(
            self.ids[mask], self.splits[mask], self.features[mask], self.labels[mask]
        )

    def slice(self, start: int, stop: int) -> FeatureFrame:
        """Rows ``[start, stop)``."""
        return FeatureFrame(
            self.ids[start:stop],
            self.splits[start:stop],
            self.features[start:stop],
            self.labels[start:stop],
        )

    def column(self, name: str) -> Any:
        """One feature's values (a numpy view)."""
        return self.features[:, FEATURE_COLUMNS.index(name)]

    def columns(self, names: Sequence[str]) -> Any:
        """The named features' columns, in that order (a numpy matrix)."""
        if tuple(names) == FEATURE_COLUMNS:
            return self.features
        return self.features[:, [FEATURE_COLUMNS.index(n) for n in names]]

    def rows(self, names: Sequence[str] = FEATURE_COLUMNS) -> list[dict[str, Any]]:
        """Row dicts with the named features (for a learner that only takes rows, and
        plain-Python scorers; small data)."""
        matrix = self.columns(names).tolist()
        out = []
        for k in range(len(self)):
            row: dict[str, Any] = {ID_COLUMN: self.ids[k], SPLIT_COLUMN: self.splits[k]}
            row.update(zip(names, matrix[k], strict=True))
            row[LABEL_COLUMN] = None if self.labels[k] < 0 else int(self.labels[k])
            out.append(row)
        return out

    def recency_rows(self) -> list[dict[str, float]]:
        """Just the recency feature of each row (what the recency rule reads)."""
        column = self.features[:, FEATURE_COLUMNS.index(RECENCY_FEATURE)]
        return [{RECENCY_FEATURE: v} for v in column.tolist()]


class ChurnDatasets:
    """The features SQL over ``endpoints`` and ``events`` for the splits of an as-of date.

    Parameters
    ----------
    analytics
        Runs the features SQL as rows.
    config
        The label and activity windows.
    columnar
        Local only: fetches the same SQL as Arrow columns. Without it, ``analytics`` is
        used that way when it can, else rows are converted.
    """

    def __init__(
        self,
        analytics: AnalyticsQuery,
        config: ChurnConfig,
        *,
        columnar: ColumnarAnalytics | None = None,
    ) -> None:
        self._analytics = analytics
        self._config = config
        self._columnar = columnar

    def _arrow_source(self) -> ColumnarAnalytics | None:
        for candidate in (self._columnar, self._analytics):
            if candidate is not None and callable(getattr(candidate, "arrow", None)):
                return cast(ColumnarAnalytics, candidate)
        return None

    def query(
        self,
        as_of: date | datetime,
        splits: Sequence[str],
        definition: ChurnDefinition | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """The features SQL and its parameters for the wanted splits (``train``,
        ``eval``, ``score``) of the time split at ``as_of``, under ``definition`` (the
        configured one by default)."""
        definition = definition or self._config.definition
        split = TimeSplit.of(as_of, definition.label_days)
        return sql_source("features"), split.parameters(splits, definition)

    def rows(
        self,
        as_of: date | datetime,
        splits: Sequence[str],
        definition: ChurnDefinition | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of the features SQL for the wanted splits at ``as_of``."""
        sql, parameters = self.query(as_of, splits, definition)
        return self._analytics.rows(sql, parameters)

    def frame(
        self,
        as_of: date | datetime,
        splits: Sequence[str],
        definition: ChurnDefinition | None = None,
    ) -> FeatureFrame:
        """The same rows as :meth:`rows`, as columns: fetched as Arrow when an adapter
        can (no dict per row), else converted from rows."""
        sql, parameters = self.query(as_of, splits, definition)
        source = self._arrow_source()
        if source is not None:
            return FeatureFrame.from_arrow(source.arrow(sql, parameters))
        return FeatureFrame.from_rows(self._analytics.rows(sql, parameters))

    @staticmethod
    def scoring_rows(features_csv: str) -> list[dict[str, Any]]:
        """The ``score`` rows of the query's CSV result."""
        return [r for r in parse_feature_csv(features_csv) if r[SPLIT_COLUMN] == "score"]

    @staticmethod
    def scoring_input(
        features_csv: str, features: Sequence[str] = FEATURE_COLUMNS
    ) -> tuple[str, int]:
        """The batch transform input (id, the model's features; no header) from the
        query's CSV result, and how many rows it holds."""
        rows = ChurnDatasets.scoring_rows(features_csv)
        return transform_csv(rows, features), len(rows)

    @staticmethod
    def training_inputs(features_csv: str, features: Sequence[str] | None = None) -> dict[str, Any]:
        """From the query's CSV result: the training CSV (label first, no header), the
        held-out transform input (id, features) and the held-out labels, on
        ``features`` (by default those that vary across the training rows: they are
        returned as ``features``)."""
        from clarion.services.churn.candidates import varying_feature_rows

        rows = parse_feature_csv(features_csv)
        train = [r for r in rows if r[SPLIT_COLUMN] == "train"]
        held_out = [r for r in rows if r[SPLIT_COLUMN] == "eval"]
        chosen = tuple(features) if features is not None else varying_feature_rows(train)
        return {
            "train_csv": training_csv(train, chosen),
            "eval_input_csv": transform_csv(held_out, chosen),
            "eval_labels_csv": labels_csv(held_out),
            "train_rows": len(train),
            "eval_rows": len(held_out),
            "features": list(chosen),
        }
