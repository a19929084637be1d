"""SageMaker for the churn model: the execution role its training and batch transform
jobs run with, and the built-in XGBoost container image.

The image URI is resolved at synth time with the SageMaker SDK
(``sagemaker.core.image_uris.retrieve``), never in a function (the SDK is far too large
for Lambda). The templates are environment-agnostic, so the region is a token at synth
time: the URI then comes from a ``CfnMapping`` holding the SDK's answer for every region
it knows, looked up with ``AWS::Region`` at deploy time. A stack given a concrete region
gets the literal URI. Deploying to a region the SDK does not list fails in
CloudFormation (the mapping has no such key) rather than at the first training run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aws_cdk import ArnFormat, Aws, CfnMapping, Fn, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.grants import grant_objects, nag_notation
from infra.nag import acknowledge

XGBOOST_FRAMEWORK = "xgboost"
# The container whose xgboost matches the one the project trains with (docs/churn.md).
XGBOOST_VERSION = "3.0-5"
XGBOOST_REPOSITORY = "sagemaker-xgboost"
# S3 layout of the pipeline (docs/churn.md): runs and models in the data bucket.
CHURN_RUNS_PREFIX = "churn/runs/"
CHURN_MODELS_PREFIX = "models/churn/"
# Where the jobs write: the training job's model, the scoring and evaluation transforms'
# outputs (lambdas/churn_features/handler.py names them).
JOB_OUTPUT_PREFIXES = (
    f"{CHURN_RUNS_PREFIX}*/train/model/",
    f"{CHURN_RUNS_PREFIX}*/train/eval/output/",
    f"{CHURN_RUNS_PREFIX}*/score/output/",
)
# Job and model names start with these (lambdas/churn_features, lambdas/churn_jobs).
TRAINING_JOB_PREFIX = "churn-train-"
SCORING_JOB_PREFIX = "churn-score-"


@dataclass(frozen=True, slots=True)
class XGBoostImage:
    """The image URI and the account of its ECR registry, for one region."""

    uri: str
    account: str


@cache
def xgboost_images(version: str = XGBOOST_VERSION) -> dict[str, XGBoostImage]:
    """The SDK's XGBoost image for every region it knows (offline: its bundled config)."""
    from sagemaker.core import image_uris

    config = image_uris.config_for_framework(XGBOOST_FRAMEWORK)
    regions = sorted(config["training"]["versions"][version]["registries"])
    images: dict[str, XGBoostImage] = {}
    for region in regions:
        uri = image_uris.retrieve(XGBOOST_FRAMEWORK, region=region, version=version)
        images[region] = XGBoostImage(uri=uri, account=uri.split(".", 1)[0])
    return images


class ChurnSageMaker(Construct):
    """The execution role of the churn jobs and the XGBoost image they run.

    Attributes
    ----------
    role
        Assumed by SageMaker: reads the pipeline's inputs and models, writes the jobs'
        outputs, pulls the image, writes ``/aws/sagemaker/*`` logs.
    image_uri
        The container image (a literal, or a mapping lookup on the deploy region).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        bucket_name: str,
        image_version: str = XGBOOST_VERSION,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        images = xgboost_images(image_version)
        if Token.is_unresolved(stack.region):
            mapping = CfnMapping(
                self,
                "XGBoostImage",
                mapping={
                    region: {"Uri": image.uri, "Account": image.account}
                    for region, image in images.items()
                },
            )
            self.image_uri = mapping.find_in_map(Aws.REGION, "Uri")
            image_account = mapping.find_in_map(Aws.REGION, "Account")
        else:
            if stack.region not in images:
                raise ValueError(
                    f"the SageMaker SDK knows no XGBoost {image_version} image in {stack.region}"
                )
            self.image_uri = images[stack.region].uri
            image_account = images[stack.region].account
        self.image_repository_arn = Fn.join(
            "",
            [
                f"arn:{stack.partition}:ecr:{stack.region}:",
                image_account,
                f":repository/{XGBOOST_REPOSITORY}",
            ],
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "sagemaker.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="Clarion churn: SageMaker training and batch transform jobs",
        )
        self._grant(key, bucket_name)

    def _grant(self, key: kms.IKey, bucket_name: str) -> None:
        role = self.role
        stack = Stack.of(self)
        # The jobs' ML storage volumes and outputs are encrypted with the project key
        # (CLARION_SAGEMAKER_KMS_KEY): SageMaker makes grants on it for the volumes.
        key.grant(role, "kms:CreateGrant", "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt")
        key.grant(role, "kms:GenerateDataKey")
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_RUNS_PREFIX,
            key=key,
            read=True,
            reason="Jobs read the training and transform inputs of any pipeline run.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=CHURN_MODELS_PREFIX,
            key=key,
            read=True,
            reason="Transform jobs load promoted or candidate models under models/churn/.",
        )
        for prefix in JOB_OUTPUT_PREFIXES:
            grant_objects(
                role,
                bucket_name=bucket_name,
                prefix=prefix,
                key=key,
                write=True,
                reason="Each run writes the job outputs under its own generated run folder.",
            )
        # The built-in algorithm's image: pull from its repository only; the
        # authorization token has no resource-level permissions.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                resources=[self.image_repository_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )
        # Job logs and metrics.
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[log_groups],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "ecr:GetAuthorizationToken and cloudwatch:PutMetricData take no resource-level "
            "permissions (the metric namespace is restricted by condition).",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_notation(role, log_groups)}]",
            "SageMaker names each job's log streams under the /aws/sagemaker/ log groups.",
        )
