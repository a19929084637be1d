"""The ChurnJobs contract, on its one backend: SageMaker (moto). Locally there are no
jobs: the XGBoost learner trains and scores in process (the ChurnLearner suites).

SageMaker jobs must run the built-in XGBoost container on label-first CSV, keep the
endpoint id beside each score in batch transform (the input filter drops it, the output
joins it back), and report a job's state; without the container image or the role they
refuse to start anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clarion.ports.churn import ChurnJobs

REGION = "us-east-1"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
JOB_STATES = {"InProgress", "Completed", "Failed", "Stopping", "Stopped"}


@pytest.fixture
def sagemaker(aws_credentials: None) -> Iterator[tuple[Any, str]]:
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="churn-jobs", AssumeRolePolicyDocument="{}")
        yield boto3.client("sagemaker", region_name=REGION), role["Role"]["Arn"]


@pytest.fixture
def jobs(sagemaker: tuple[Any, str]) -> ChurnJobs:
    from clarion.adapters.aws.churn.jobs import SageMakerChurnJobs

    client, role_arn = sagemaker
    return SageMakerChurnJobs(client, image_uri=IMAGE, role_arn=role_arn)


def test_training_runs_the_container_on_label_first_csv(
    jobs: ChurnJobs, sagemaker: tuple[Any, str]
) -> None:
    name = jobs.start_training(
        "churn-train-r1", "s3://data/train", "s3://data/model", {"num_round": "20"}
    )

    job = sagemaker[0].describe_training_job(TrainingJobName=name)
    assert name == "churn-train-r1"
    assert job["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert job["HyperParameters"] == {"num_round": "20"}
    (channel,) = job["InputDataConfig"]
    assert channel["ContentType"] == "text/csv"
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == "s3://data/train"
    assert job["OutputDataConfig"]["S3OutputPath"] == "s3://data/model"


def test_a_trained_job_names_its_artifact(jobs: ChurnJobs) -> None:
    name = jobs.start_training("churn-train-r2", "s3://data/train", "s3://data/model", {})

    artifact = jobs.training_artifact(name)

    assert artifact.startswith("s3://data/model/") and artifact.endswith("model.tar.gz")


def test_a_transform_keeps_the_id_beside_each_score(
    jobs: ChurnJobs, sagemaker: tuple[Any, str]
) -> None:
    name = jobs.start_transform(
        "churn-score-r1", "s3://data/model/model.tar.gz", "s3://data/in", "s3://data/out"
    )

    client = sagemaker[0]
    job = client.describe_transform_job(TransformJobName=name)
    assert job["DataProcessing"] == {
        "InputFilter": "$[1:]",
        "JoinSource": "Input",
        "OutputFilter": "$[0,-1]",
    }
    assert job["TransformInput"]["ContentType"] == "text/csv"
    assert job["TransformInput"]["SplitType"] == "Line"
    assert job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == "s3://data/in"
    assert job["TransformOutput"]["S3OutputPath"] == "s3://data/out"
    model = client.describe_model(ModelName=job["ModelName"])["PrimaryContainer"]
    assert model == {"Image": IMAGE, "ModelDataUrl": "s3://data/model/model.tar.gz"}


def test_a_transform_reports_its_state(jobs: ChurnJobs) -> None:
    name = jobs.start_transform("churn-score-r2", "s3://m/model.tar.gz", "s3://i", "s3://o")

    assert jobs.transform_status(name) in JOB_STATES


def test_nothing_starts_without_the_image_and_role(sagemaker: tuple[Any, str]) -> None:
    from clarion.adapters.aws.churn.jobs import SageMakerChurnJobs

    client, role_arn = sagemaker
    for unconfigured in (
        SageMakerChurnJobs(client, image_uri="", role_arn=role_arn),
        SageMakerChurnJobs(client, image_uri=IMAGE, role_arn=""),
    ):
        with pytest.raises(RuntimeError, match="CLARION_CHURN_IMAGE_URI"):
            unconfigured.start_training("churn-train-x", "s3://t", "s3://o", {})
        with pytest.raises(RuntimeError, match="CLARION_SAGEMAKER_ROLE_ARN"):
            unconfigured.start_transform("churn-score-x", "s3://m", "s3://i", "s3://o")
    assert client.list_training_jobs()["TrainingJobSummaries"] == []
    assert client.list_transform_jobs()["TransformJobSummaries"] == []


KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def test_volumes_and_outputs_use_the_project_key(sagemaker: tuple[Any, str]) -> None:
    from clarion.adapters.aws.churn.jobs import SageMakerChurnJobs

    client, role_arn = sagemaker
    jobs = SageMakerChurnJobs(client, image_uri=IMAGE, role_arn=role_arn, kms_key=KEY)
    training = client.describe_training_job(
        TrainingJobName=jobs.start_training("churn-train-k", "s3://d/t", "s3://d/m", {})
    )
    assert training["ResourceConfig"]["VolumeKmsKeyId"] == KEY
    assert training["OutputDataConfig"]["KmsKeyId"] == KEY
    transform = client.describe_transform_job(
        TransformJobName=jobs.start_transform("churn-score-k", "s3://d/m", "s3://i", "s3://o")
    )
    assert transform["TransformResources"]["VolumeKmsKeyId"] == KEY
    assert transform["TransformOutput"]["KmsKeyId"] == KEY
