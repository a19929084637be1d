"""Local churn adapters: model store and files under CLARION_HOME, XGBoost in process,
columnar features and events in DuckDB."""

from clarion.adapters.local.churn.columnar import DuckDBChurnData, event_columns_table
from clarion.adapters.local.churn.files import LocalChurnFiles
from clarion.adapters.local.churn.learner import (
    XGBoostChurnLearner,
    matrix,
    pack_model,
    train_booster,
    unpack_model,
)
from clarion.adapters.local.churn.model_store import FileChurnModelStore

__all__ = [
    "DuckDBChurnData",
    "FileChurnModelStore",
    "LocalChurnFiles",
    "XGBoostChurnLearner",
    "event_columns_table",
    "matrix",
    "pack_model",
    "train_booster",
    "unpack_model",
]
