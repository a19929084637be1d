"""AWS churn adapters: S3 model store and files, SageMaker jobs, Athena query starts."""

from clarion.adapters.aws.churn.files import S3ChurnFiles
from clarion.adapters.aws.churn.jobs import SageMakerChurnJobs
from clarion.adapters.aws.churn.model_store import S3ChurnModelStore
from clarion.adapters.aws.churn.query_starter import AthenaQueryStarter

__all__ = ["AthenaQueryStarter", "S3ChurnFiles", "S3ChurnModelStore", "SageMakerChurnJobs"]
