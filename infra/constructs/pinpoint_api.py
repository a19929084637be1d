"""Pinpoint's REST API on AWS: a regional REST API with IAM (SigV4) authorisation in
front of one function running the same ASGI application as ``clarion serve``.

- ``ANY /v1/{proxy+}`` proxied to the API function (it routes every operation of the
  pinpoint model and checks each request against it).
- A resource policy: only principals of this account may invoke, and only over TLS; the
  callers' own IAM policies then scope them to projects through the ``execute-api``
  resource ARN (``.../live/*/v1/apps/<project id>/*``, docs/api.md).
- JSON access logs in a log group encrypted with the customer-managed key; execution
  errors logged; X-Ray; stage throttling; a WAF web ACL with a rate-based rule per
  caller address (a SigV4 identity is not a WAF key: the signed header changes with
  every request) and AWS's common rule set.
- Request size: API Gateway refuses bodies over 10 MB; the application refuses bodies
  over 5 MiB (Lambda's synchronous payload limit is 6 MB) with PayloadTooLargeException.
- API Gateway's own errors (throttling, a body too large, a missing or bad signature) are
  answered in Pinpoint's shape (``{"Message", "RequestID"}`` and ``X-Amzn-ErrorType``),
  so botocore raises the same exception classes as for the function's errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog
from infra.constructs.campaign_functions import DeliverySettings, grant_delivery
from infra.constructs.campaign_pipeline import AUDIENCE_TABLES
from infra.constructs.data_lake import Prefixes
from infra.constructs.event_lake import EVENTS_PREFIX, EVENTS_TABLE
from infra.constructs.iam_rest_api import API_STAGE, IamRestApi
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.query_workgroup import QueryWorkgroup
from infra.environment import variable
from infra.grants import (
    DEFINITIONS_DELETE,
    DEFINITIONS_LIST,
    DEFINITIONS_READ,
    DEFINITIONS_WRITE,
    ENDPOINTS_READ,
    ENDPOINTS_WRITE,
    JOURNEYS_DELETE,
    JOURNEYS_READ,
    JOURNEYS_WRITE,
    SENDS_READ,
    SENDS_WRITE,
    grant_objects,
    grant_query_objects,
    grant_table_data,
    nag_notation,
)
from infra.nag import acknowledge, skip_checkov

API_HANDLER = "lambdas.api.handler.handler"
API_SERVICE_NAME = "clarion-api"
API_PREFIX = "v1"
EXPORTS_PREFIX = "exports/"
UPLOADS_PREFIX = "uploads/"
DEAD_LETTERS_PREFIX = "dead-letters/"
# API Gateway's errors, in Pinpoint's shape: response type → the error's name.
GATEWAY_ERRORS = {
    apigw.ResponseType.THROTTLED: "TooManyRequestsException",
    apigw.ResponseType.QUOTA_EXCEEDED: "TooManyRequestsException",
    apigw.ResponseType.REQUEST_TOO_LARGE: "PayloadTooLargeException",
    apigw.ResponseType.ACCESS_DENIED: "ForbiddenException",
    apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN: "ForbiddenException",
    apigw.ResponseType.INVALID_SIGNATURE: "ForbiddenException",
    apigw.ResponseType.EXPIRED_TOKEN: "ForbiddenException",
    apigw.ResponseType.UNAUTHORIZED: "ForbiddenException",
    apigw.ResponseType.WAF_FILTERED: "ForbiddenException",
    apigw.ResponseType.RESOURCE_NOT_FOUND: "NotFoundException",
    apigw.ResponseType.DEFAULT_4_XX: "BadRequestException",
    apigw.ResponseType.DEFAULT_5_XX: "InternalServerErrorException",
}
ERROR_TEMPLATE = '{"Message": $context.error.messageString, "RequestID": "$context.requestId"}'


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Throttling of the API: the stage's steady rate and burst, and the requests one
    caller address may make in five minutes (the WAF rate-based rule)."""

    rate_limit: int = 200
    burst_limit: int = 400
    per_caller_per_5_minutes: int = 3000


@dataclass(frozen=True, slots=True)
class CampaignTargets:
    """The messaging stack's campaign pipeline, which the API starts and schedules."""

    state_machine_arn: str
    schedule_group_name: str
    scheduler_role_arn: str


class PinpointApi(Construct):
    """The API function, its role, the REST API and its WAF (module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        api_name: str,
        endpoints_table_name: str,
        definitions_table_name: str,
        delivery: DeliverySettings,
        campaigns: CampaignTargets,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        limits: ApiLimits,
        hook_functions: str,
        journeys_table_name: str = "",
        import_job_state_machine_arn: str | None = None,
        erase_state_machine_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        stack = Stack.of(self)
        self.function = ClarionFunction(
            self,
            "Handler",
            runtime=runtime,
            handler=API_HANDLER,
            service_name=API_SERVICE_NAME,
            description="Pinpoint's REST API: every operation of the pinpoint model",
            memory_size=1024,
            timeout=Duration.seconds(29),  # API Gateway's integration timeout
            extra_environment={
                **delivery.as_variables(),
                variable("campaign_state_machine_arn"): campaigns.state_machine_arn,
                variable("campaign_schedule_group"): campaigns.schedule_group_name,
                variable("campaign_scheduler_role_arn"): campaigns.scheduler_role_arn,
                **(
                    {variable("journeys_table"): journeys_table_name} if journeys_table_name else {}
                ),
                # CreateImportJob starts an import job (a Distributed Map per file).
                **(
                    {variable("import_job_state_machine_arn"): import_job_state_machine_arn}
                    if import_job_state_machine_arn
                    else {}
                ),
                # DeleteEndpoint and DeleteUserEndpoints start the lake's erase workflow.
                **(
                    {variable("erase_state_machine_arn"): erase_state_machine_arn}
                    if erase_state_machine_arn
                    else {}
                ),
            },
        )
        role = self.function.role
        if journeys_table_name:
            # Journey operations: participants and counters (state changes, metrics,
            # explain); the journeys themselves are in the definitions table.
            grant_table_data(
                role,
                table_name=journeys_table_name,
                key=key,
                index_names=("DueIndex",),
                actions=JOURNEYS_READ + JOURNEYS_WRITE + JOURNEYS_DELETE,
            )
        if import_job_state_machine_arn:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["states:StartExecution"], resources=[import_job_state_machine_arn]
                )
            )
        if erase_state_machine_arn:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["states:StartExecution"], resources=[erase_state_machine_arn]
                )
            )
        self._grant(
            role,
            stack=stack,
            key=key,
            bucket_name=bucket_name,
            endpoints_table_name=endpoints_table_name,
            definitions_table_name=definitions_table_name,
            delivery=delivery,
            campaigns=campaigns,
            catalog=catalog,
            workgroup=workgroup,
            hook_functions=hook_functions,
        )

        policy = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="AccountCallers",
                    principals=[iam.AccountPrincipal(stack.account)],
                    actions=["execute-api:Invoke"],
                    resources=["execute-api:/*"],
                ),
                iam.PolicyStatement(
                    sid="TlsOnly",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["execute-api:Invoke"],
                    resources=["execute-api:/*"],
                    conditions={"Bool": {"aws:SecureTransport": "false"}},
                ),
            ]
        )
        self.api = IamRestApi(
            self,
            "Api",
            api_name=api_name,
            description="Clarion: Pinpoint's REST API (boto3's pinpoint client, endpoint_url)",
            log_retention=runtime.log_retention,
            rate_limit=limits.rate_limit,
            burst_limit=limits.burst_limit,
            # The account-wide logging role is the events stack's (one per account).
            owns_cloud_watch_role=False,
            iam_auth_reason=(
                "Pinpoint's API is authorised with AWS_IAM (SigV4), as Pinpoint's own was; "
                "callers are applications with AWS credentials, not Cognito users."
            ),
            access_log_key=key,
            policy=policy,
        )
        self.access_logs = self.api.access_logs
        self.method = self.api.add_iam_proxy(API_PREFIX, self.function.function)
        acknowledge(
            self.api,
            "AwsSolutions-APIG2",
            "Every request is validated by the function against its operation's input "
            "shape in botocore's pinpoint model (and answered BadRequestException): API "
            "Gateway models of 99 operations would repeat that, less exactly.",
        )
        for response_type, error in GATEWAY_ERRORS.items():
            self.api.add_gateway_response(
                f"Error{error}{response_type.response_type}",
                type=response_type,
                templates={"application/json": ERROR_TEMPLATE},
                response_headers={"X-Amzn-ErrorType": f"'{error}'"},
            )
        self.web_acl = self._web_acl(api_name, limits)
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

    @property
    def url(self) -> str:
        """The base URL: ``boto3.client("pinpoint", endpoint_url=<this>)``."""
        return self.api.url.rstrip("/")

    @property
    def stage(self) -> str:
        return API_STAGE

    def _web_acl(self, api_name: str, limits: ApiLimits) -> wafv2.CfnWebACL:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            )

        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{api_name}-acl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility(f"{api_name}-acl"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="PerCallerRate",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=limits.per_caller_per_5_minutes,
                        )
                    ),
                    visibility_config=visibility("PerCallerRate"),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="CommonRules",
                    priority=1,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name="AWSManagedRulesCommonRuleSet",
                            # Bodies of up to 5 MiB are Pinpoint's (batches, PutEvents):
                            # the application checks their size itself.
                            excluded_rules=[
                                wafv2.CfnWebACL.ExcludedRuleProperty(name="SizeRestrictions_BODY")
                            ],
                        )
                    ),
                    visibility_config=visibility("CommonRules"),
                ),
            ],
        )
        skip_checkov(
            acl,
            "CKV_AWS_192",
            "Nothing behind this API runs Java: the Log4j lookup (CVE-2021-44228) has "
            "no Log4j to reach in a Python function.",
        )
        return acl

    def _grant(
        self,
        role: iam.IRole,
        *,
        stack: Stack,
        key: kms.IKey,
        bucket_name: str,
        endpoints_table_name: str,
        definitions_table_name: str,
        delivery: DeliverySettings,
        campaigns: CampaignTargets,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        hook_functions: str,
    ) -> None:
        """Exactly what the operations touch."""
        # Endpoints (and their user and address indexes), definitions (segments,
        # campaigns, templates, projects and their documents), the send ledger and the
        # message governor's counts.
        grant_table_data(
            role,
            table_name=endpoints_table_name,
            key=key,
            index_names=("UserIdIndex", "AddressIndex"),
            actions=ENDPOINTS_READ + ENDPOINTS_WRITE,
        )
        # Every definitions operation: get, list, save, delete.
        grant_table_data(
            role,
            table_name=definitions_table_name,
            key=key,
            actions=DEFINITIONS_READ + DEFINITIONS_LIST + DEFINITIONS_WRITE + DEFINITIONS_DELETE,
        )
        grant_table_data(
            role,
            table_name=delivery.sends_table_name,
            key=key,
            actions=SENDS_READ + SENDS_WRITE,
        )
        # SendMessages and SendUsersMessages deliver; PutEvents puts on the events stream.
        grant_delivery(role, key, delivery)
        # Jobs: import files under imports/, exports under exports/; imported segment
        # members; rejected events as dead letters.
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.IMPORTS,
            key=key,
            read=True,
            reason="CreateImportJob reads the files under imports/ it names.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=EXPORTS_PREFIX,
            key=key,
            read=True,
            write=True,
            reason="CreateExportJob writes its files under exports/<job id>/; the "
            "console's download reads them back.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=UPLOADS_PREFIX,
            key=key,
            read=True,
            write=True,
            reason="The console's uploads are kept under uploads/<project>/ and read by "
            "the import job they are given to.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.IMPORTED_SEGMENTS,
            key=key,
            read=True,
            write=True,
            reason="Import jobs write imported segments' member files, one per batch.",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=DEAD_LETTERS_PREFIX,
            key=key,
            write=True,
            reason="Writes rejected events as dead-letter objects, one per request.",
        )
        # Segment sizes, members and KPIs: Athena over the endpoint and event lakes.
        workgroup.grant_query(role)
        catalog.grant_read(role, *AUDIENCE_TABLES, EVENTS_TABLE)
        grant_query_objects(
            role,
            bucket_name=bucket_name,
            key=key,
            reads={
                Prefixes.ENDPOINT_CHANGES: "Segment SQL reads the endpoints view (changes).",
                Prefixes.ENDPOINT_SNAPSHOT: "Segment SQL reads the endpoints view (snapshot).",
                Prefixes.IMPORTED_SEGMENTS: "Segment SQL reads imported segment members.",
                EVENTS_PREFIX: "KPIs read the event lake, partitioned by date.",
            },
            results_prefix=Prefixes.ATHENA_RESULTS,
            results_reason="Athena writes query results under athena-results/.",
        )
        # Campaigns: a launch starts the state machine; a schedule is created, updated
        # or deleted in the campaigns' group, passing the scheduler role.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[campaigns.state_machine_arn]
            )
        )
        schedules = stack.format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{campaigns.schedule_group_name}/*",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "scheduler:CreateSchedule",
                    "scheduler:UpdateSchedule",
                    "scheduler:DeleteSchedule",
                    "scheduler:GetSchedule",
                ],
                resources=[schedules],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{nag_notation(role, schedules)}]",
            "Campaign schedules are named by campaign id, in the campaigns' group only.",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[campaigns.scheduler_role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
        # Campaign hooks: the project's functions, named by the deployment's pattern.
        hooks = stack.format_arn(
            service="lambda",
            resource="function",
            resource_name=hook_functions,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[hooks])
        )
        if "*" in hook_functions:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{nag_notation(role, hooks)}]",
                "Campaign hooks may only be functions named by the deployment's pattern "
                "(api_hook_functions), invoked synchronously as Pinpoint invoked them.",
            )
