"""The AWS ChurnJobs: SageMaker training and batch transform jobs with the built-in
XGBoost container.

The container image URI is resolved with the SageMaker SDK at deploy time (or in the
CLI) and passed in configuration: the SDK is far too large for a Lambda function."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SageMakerChurnJobs:
    """ChurnJobs with boto3: built-in XGBoost training, and batch transform that keeps
    the endpoint id beside each score (input filter drops it, the output joins it)."""

    def __init__(
        self,
        client: Any,
        *,
        image_uri: str,
        role_arn: str,
        instance_type: str = "ml.m5.large",
        max_runtime_s: int = 3600,
        kms_key: str = "",
    ) -> None:
        self._client = client
        # The project key for the jobs' ML volumes and outputs (empty: SageMaker's own).
        self._kms_key = kms_key
        self._image_uri = image_uri
        self._role_arn = role_arn
        self._instance_type = instance_type
        self._max_runtime_s = max_runtime_s

    def _output_key(self) -> dict[str, str]:
        return {"KmsKeyId": self._kms_key} if self._kms_key else {}

    def _configured(self) -> None:
        if not self._image_uri or not self._role_arn:
            raise RuntimeError("CLARION_CHURN_IMAGE_URI and CLARION_SAGEMAKER_ROLE_ARN must be set")

    def start_training(
        self,
        job_name: str,
        train_uri: str,
        output_uri: str,
        hyperparameters: Mapping[str, str],
    ) -> str:
        self._configured()
        self._client.create_training_job(
            TrainingJobName=job_name,
            AlgorithmSpecification={"TrainingImage": self._image_uri, "TrainingInputMode": "File"},
            RoleArn=self._role_arn,
            HyperParameters={k: str(v) for k, v in hyperparameters.items()},
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "ContentType": "text/csv",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": train_uri,
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
            ],
            OutputDataConfig={"S3OutputPath": output_uri, **self._output_key()},
            ResourceConfig={
                "InstanceType": self._instance_type,
                "InstanceCount": 1,
                "VolumeSizeInGB": 10,
                **({"VolumeKmsKeyId": self._kms_key} if self._kms_key else {}),
            },
            StoppingCondition={"MaxRuntimeInSeconds": self._max_runtime_s},
        )
        return job_name

    def training_artifact(self, job_name: str) -> str:
        job = self._client.describe_training_job(TrainingJobName=job_name)
        return str(job["ModelArtifacts"]["S3ModelArtifacts"])

    def start_transform(
        self, job_name: str, model_uri: str, input_uri: str, output_uri: str
    ) -> str:
        self._configured()
        self._client.create_model(
            ModelName=job_name,
            PrimaryContainer={"Image": self._image_uri, "ModelDataUrl": model_uri},
            ExecutionRoleArn=self._role_arn,
        )
        self._client.create_transform_job(
            TransformJobName=job_name,
            ModelName=job_name,
            BatchStrategy="MultiRecord",
            MaxPayloadInMB=6,
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            TransformOutput={
                "S3OutputPath": output_uri,
                "AssembleWith": "Line",
                "Accept": "text/csv",
                **self._output_key(),
            },
            TransformResources={
                "InstanceType": self._instance_type,
                "InstanceCount": 1,
                **({"VolumeKmsKeyId": self._kms_key} if self._kms_key else {}),
            },
            DataProcessing={
                "InputFilter": "$[1:]",
                "JoinSource": "Input",
                "OutputFilter": "$[0,-1]",
            },
        )
        return job_name

    def transform_status(self, job_name: str) -> str:
        """InProgress, Completed, Failed or Stopped."""
        return str(
            self._client.describe_transform_job(TransformJobName=job_name)["TransformJobStatus"]
        )
