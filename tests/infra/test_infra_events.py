"""The events stack: stream, ingestion, consumer, lake, analytics, dashboard."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from aws_cdk.assertions import Match
from infra_helpers import function_with_id, resources, role_statements

from clarion.adapters.local.events.event_sink import duckdb_type
from clarion.services.analytics.service import COUNT_COLUMNS, RATE_COLUMNS
from infra.constructs.event_analytics import analytics_sql

CONTRACTS = Path(__file__).resolve().parents[2] / "clarion" / "resources" / "contracts"
EVENTS_COLUMNS_JSON = CONTRACTS / "events_columns.json"
ANALYTICS_COLUMNS_JSON = CONTRACTS / "analytics_columns.json"
CONSUMER = "lambdas.events_consumer.handler.handler"
INGEST = "lambdas.ingest_events.handler.handler"
DUCKDB_TO_HIVE = {"VARCHAR": "string", "BIGINT": "bigint", "DOUBLE": "double"}
HIVE_TO_TRINO = {"string": "varchar", "bigint": "bigint", "double": "double"}
# Actions AWS offers no resource-level permissions for.
ACTIONS_WITHOUT_RESOURCES = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def events_template(synthesized: Any) -> dict[str, Any]:
    return synthesized.templates["Events"]


def glue_table(template: dict[str, Any], name: str) -> dict[str, Any]:
    for table in resources(template, "AWS::Glue::Table").values():
        if table["TableInput"]["Name"] == name:
            return table["TableInput"]
    raise AssertionError(f"no Glue table {name}")


function = function_with_id


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for statement in statements:
        actions = statement["Action"]
        found |= {actions} if isinstance(actions, str) else set(actions)
    return found


# -- the stream ---------------------------------------------------------------------------


def test_the_stream_is_on_demand_and_kms_encrypted(synthesized: Any) -> None:
    synthesized.template("Events").has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": "clarion-events",
            "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": Match.any_value()},
        },
    )


def test_the_consumer_reads_with_partial_failures_bisect_and_a_dlq(synthesized: Any) -> None:
    template = events_template(synthesized)
    consumer_id, _ = function(template, CONSUMER)
    (mapping,) = resources(template, "AWS::Lambda::EventSourceMapping").values()

    assert mapping["FunctionName"] == {"Ref": consumer_id}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    assert 0 < mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    # The failed batch itself is kept in S3 (an SQS destination holds only pointers).
    destination = json.dumps(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    assert ":s3:::clarion-data-" in destination


def test_function_settings(synthesized: Any) -> None:
    template = events_template(synthesized)
    _, consumer = function(template, CONSUMER)
    _, ingest = function(template, INGEST)
    (stream_id,) = resources(template, "AWS::Kinesis::Stream")
    consumer_env = consumer["Environment"]["Variables"]
    ingest_env = ingest["Environment"]["Variables"]

    for variables in (consumer_env, ingest_env):
        assert variables["CLARION_BACKEND"] == "aws"
        assert variables["CLARION_APP_ID"] == "clarion"
        assert variables["CLARION_EVENTS_STREAM"] == {"Ref": stream_id}
        assert "CLARION_DATA_BUCKET" in variables
    assert consumer_env["CLARION_ENDPOINTS_TABLE"] == "clarion-endpoints"
    assert consumer_env["POWERTOOLS_SERVICE_NAME"] == "clarion-events"
    assert ingest_env["POWERTOOLS_SERVICE_NAME"] == "clarion-events-ingest"
    for properties in (consumer, ingest):
        assert properties["Runtime"] == "python3.12"
        assert properties["TracingConfig"] == {"Mode": "Active"}
    # Asynchronous invocations (SNS, EventBridge) that keep failing are kept.
    assert "DeadLetterConfig" in ingest


# -- IAM ----------------------------------------------------------------------------------


def test_the_ingest_role_puts_on_the_stream_and_writes_dead_letters_only(
    synthesized: Any,
) -> None:
    statements = role_statements(events_template(synthesized), INGEST)
    actions = actions_of(statements)

    assert {"kinesis:PutRecords", "s3:PutObject"} <= actions
    assert not {a for a in actions if a.startswith("dynamodb:")}
    assert not {a for a in actions if a.startswith("kinesis:Get")}
    (put_objects,) = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert put_objects["Resource"]["Fn::Join"][1][-1].endswith("/dead-letters/*")
    for statement in statements:
        if statement["Resource"] == "*":
            assert actions_of([statement]) <= ACTIONS_WITHOUT_RESOURCES, statement


def test_the_consumer_role_reads_the_stream_and_writes_endpoints(synthesized: Any) -> None:
    statements = role_statements(events_template(synthesized), CONSUMER)
    actions = actions_of(statements)

    # s3:PutObject: failed batches kept under aws/lambda/ (the on-failure destination).
    assert {"kinesis:GetRecords", "dynamodb:BatchWriteItem", "dynamodb:Query", "s3:PutObject"} <= (
        actions
    )
    assert "sqs:SendMessage" not in actions
    assert not {a for a in actions if a.startswith("kinesis:Put")}
    index_arns = [
        part
        for s in statements
        if s["Action"] == "dynamodb:Query"
        for resource in s["Resource"]
        for part in resource["Fn::Join"][1]
        if isinstance(part, str)
    ]
    assert any(p.endswith("clarion-endpoints/index/AddressIndex") for p in index_arns)
    assert any(p.endswith("clarion-endpoints/index/UserIdIndex") for p in index_arns)
    for statement in statements:
        if statement["Resource"] == "*":
            assert actions_of([statement]) <= ACTIONS_WITHOUT_RESOURCES, statement


# -- ingestion ----------------------------------------------------------------------------


def test_put_events_is_an_iam_authorised_validated_proxy(synthesized: Any) -> None:
    template = events_template(synthesized)
    paths = {r["PathPart"] for r in resources(template, "AWS::ApiGateway::Resource").values()}
    assert paths == {"v1", "apps", "{application-id}", "events"}
    synthesized.template("Events").has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "POST",
            "AuthorizationType": "AWS_IAM",
            "RequestValidatorId": Match.any_value(),
            "RequestParameters": {"method.request.path.application-id": True},
            "Integration": Match.object_like({"Type": "AWS_PROXY"}),
        },
    )
    synthesized.template("Events").has_resource_properties(
        "AWS::ApiGateway::RequestValidator",
        {"ValidateRequestBody": True, "ValidateRequestParameters": True},
    )
    (stage,) = resources(template, "AWS::ApiGateway::Stage").values()
    assert "DestinationArn" in stage["AccessLogSetting"]
    assert stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0


def test_ses_events_of_the_configuration_set_reach_the_ingest_function(synthesized: Any) -> None:
    template = events_template(synthesized)
    ingest_id, _ = function(template, INGEST)
    synthesized.template("Events").has_resource_properties(
        "AWS::SES::ConfigurationSet", {"Name": "clarion"}
    )
    (destination,) = resources(template, "AWS::SES::ConfigurationSetEventDestination").values()
    event_destination = destination["EventDestination"]
    assert event_destination["Enabled"] is True
    assert sorted(event_destination["MatchingEventTypes"]) == sorted(
        [
            "send",
            "delivery",
            "open",
            "click",
            "bounce",
            "complaint",
            "reject",
            "renderingFailure",
            "deliveryDelay",
            "subscription",
        ]
    )
    bus = event_destination["EventBridgeDestination"]["EventBusArn"]["Fn::Join"][1]
    assert bus[-1].endswith(":event-bus/default")
    (rule,) = resources(template, "AWS::Events::Rule").values()
    assert rule["EventPattern"]["source"] == ["aws.ses"]
    assert rule["EventPattern"]["detail"] == {
        "mail": {"tags": {"ses:configuration-set": ["clarion"]}}
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [ingest_id, "Arn"]}
    assert "DeadLetterConfig" in target


def test_sms_events_and_inbound_sms_reach_the_ingest_function_through_encrypted_topics(
    synthesized: Any,
) -> None:
    template = events_template(synthesized)
    ingest_id, _ = function(template, INGEST)
    topics = {
        k: v
        for k, v in resources(template, "AWS::SNS::Topic").items()
        if not k.startswith("OperatorAlerts")
    }
    assert len(topics) == 2
    assert all("KmsMasterKeyId" in t for t in topics.values())
    subscriptions = resources(template, "AWS::SNS::Subscription").values()
    assert {s["TopicArn"]["Ref"] for s in subscriptions} == set(topics)
    assert all(s["Endpoint"] == {"Fn::GetAtt": [ingest_id, "Arn"]} for s in subscriptions)
    (config_set,) = resources(template, "AWS::SMSVOICE::ConfigurationSet").values()
    assert config_set["ConfigurationSetName"] == "clarion"
    (destination,) = config_set["EventDestinations"]
    assert destination["MatchingEventTypes"] == ["ALL"]
    assert destination["SnsDestination"]["TopicArn"]["Ref"] in topics
    publishers = {
        statement["Principal"]["Service"]
        for policy in resources(template, "AWS::SNS::TopicPolicy").values()
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    }
    assert publishers == {"sms-voice.amazonaws.com"}


def test_end_user_messaging_may_use_the_key_for_its_topics(synthesized: Any) -> None:
    (key,) = resources(synthesized.templates["Data"], "AWS::KMS::Key").values()
    services: set[str] = set()
    for statement in key["KeyPolicy"]["Statement"]:
        principal = statement["Principal"]
        service = principal.get("Service") if isinstance(principal, dict) else None
        # A service principal is a name, a list of names, or (CloudWatch Logs' regional
        # name) an intrinsic function: only the names matter here.
        services.update(
            s for s in (service if isinstance(service, list) else [service]) if isinstance(s, str)
        )
    assert "sms-voice.amazonaws.com" in services


# -- the lake -----------------------------------------------------------------------------


def test_the_glue_events_table_has_the_columns_of_events_columns_json(synthesized: Any) -> None:
    declared = json.loads(EVENTS_COLUMNS_JSON.read_text(encoding="utf-8"))
    table = glue_table(events_template(synthesized), "events")

    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        (c["name"], c["type"]) for c in declared["columns"]
    ]
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [("dt", "string")]
    assert "ParquetHiveSerDe" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]


def test_the_events_table_projects_the_date_partition(synthesized: Any) -> None:
    parameters = glue_table(events_template(synthesized), "events")["Parameters"]

    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["projection.dt.range"].startswith("2020-01-01,NOW")
    assert parameters["projection.dt.interval"] == "1"
    assert parameters["projection.dt.interval.unit"] == "DAYS"
    location = parameters["storage.location.template"]["Fn::Join"][1]
    assert location[0] == "s3://clarion-data-"
    assert location[-1] == "/events/dt=${dt}/"


def test_firehose_partitions_by_event_date_and_writes_parquet(synthesized: Any) -> None:
    template = events_template(synthesized)
    (stream_id,) = resources(template, "AWS::Kinesis::Stream")
    (delivery,) = resources(template, "AWS::KinesisFirehose::DeliveryStream").values()
    s3 = delivery["ExtendedS3DestinationConfiguration"]

    assert delivery["DeliveryStreamType"] == "KinesisStreamAsSource"
    source = delivery["KinesisStreamSourceConfiguration"]
    assert source["KinesisStreamARN"] == {"Fn::GetAtt": [stream_id, "Arn"]}
    assert s3["Prefix"] == "events/dt=!{partitionKeyFromQuery:dt}/"
    assert s3["ErrorOutputPrefix"].startswith("events-errors/!{firehose:error-output-type}/")
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert s3["BufferingHints"]["SizeInMBs"] >= 64
    (processor,) = s3["ProcessingConfiguration"]["Processors"]
    assert processor["Type"] == "MetadataExtraction"
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    assert parameters == {
        "MetadataExtractionQuery": '{dt: (.event_timestamp / 1000 | strftime("%Y-%m-%d"))}',
        "JsonParsingEngine": "JQ-1.6",
    }
    conversion = s3["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    deserializer = conversion["InputFormatConfiguration"]["Deserializer"]
    assert deserializer == {"OpenXJsonSerDe": {"CaseInsensitive": True}}
    serializer = conversion["OutputFormatConfiguration"]["Serializer"]
    assert serializer == {"ParquetSerDe": {"Compression": "SNAPPY"}}
    assert conversion["SchemaConfiguration"]["TableName"] == "events"
    assert conversion["SchemaConfiguration"]["DatabaseName"] == "clarion"
    assert "AWSKMSKeyARN" in s3["EncryptionConfiguration"]["KMSEncryptionConfig"]


def test_the_jq_partition_query_gives_the_utc_event_date() -> None:
    # What the JQ expression computes, in Python: strftime of epoch seconds, in UTC.
    from datetime import UTC, datetime

    event_timestamp = 1772442902480  # 2026-03-02T09:15:02.480Z
    day = datetime.fromtimestamp(event_timestamp / 1000, tz=UTC).strftime("%Y-%m-%d")
    assert day == "2026-03-02"


# -- analytics ----------------------------------------------------------------------------


def decoded_view(table_input: dict[str, Any]) -> dict[str, Any]:
    text = table_input["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    return json.loads(base64.b64decode(text.removeprefix("/* Presto View: ").removesuffix(" */")))


def test_the_views_are_the_analytics_sql_in_athenas_encoding(synthesized: Any) -> None:
    template = events_template(synthesized)
    for name in ("campaign_metrics", "event_counts"):
        view = glue_table(template, name)
        document = decoded_view(view)

        assert view["TableType"] == "VIRTUAL_VIEW"
        assert document["originalSql"] == analytics_sql(name)
        assert document["schema"] == "clarion"
        assert "FROM events" in document["originalSql"]
        assert [c["Name"] for c in view["StorageDescriptor"]["Columns"]] == [
            c["name"] for c in document["columns"]
        ]


def declared_view_columns() -> dict[str, list[tuple[str, str]]]:
    """(column, Hive type) of each analytics view, as the contract declares them."""
    declared = json.loads(ANALYTICS_COLUMNS_JSON.read_text(encoding="utf-8"))
    return {
        view: [(c["name"], c["type"]) for c in columns]
        for view, columns in declared["views"].items()
    }


def test_the_glue_views_have_the_columns_of_analytics_columns_json(synthesized: Any) -> None:
    template = events_template(synthesized)
    for name, expected in declared_view_columns().items():
        view = glue_table(template, name)
        columns = view["StorageDescriptor"]["Columns"]

        assert [(c["Name"], c["Type"]) for c in columns] == expected, name
        assert [(c["name"], c["type"]) for c in decoded_view(view)["columns"]] == [
            (column, HIVE_TO_TRINO[kind]) for column, kind in expected
        ], name


def test_the_service_reports_the_declared_counts_and_rates() -> None:
    declared = json.loads(ANALYTICS_COLUMNS_JSON.read_text(encoding="utf-8"))
    metrics = declared["views"]["campaign_metrics"]

    counts = tuple(c["name"] for c in metrics if c["role"] == "count")
    rates = tuple(c["name"] for c in metrics if c["role"] == "rate")

    assert counts == COUNT_COLUMNS
    assert rates == RATE_COLUMNS
    assert {c["type"] for c in metrics if c["role"] == "count"} == {"bigint"}
    assert {c["type"] for c in metrics if c["role"] == "rate"} == {"double"}
    assert "endpoints_targeted" in COUNT_COLUMNS and "bounce_rate" in RATE_COLUMNS


def test_the_view_columns_are_what_the_sql_returns() -> None:
    """The declared view columns (names, order, types) match the SQL run on DuckDB over
    an empty events table with the declared columns."""
    declared = json.loads(EVENTS_COLUMNS_JSON.read_text(encoding="utf-8"))
    connection = duckdb.connect()
    columns = ", ".join(f"{c['name']} {duckdb_type(c['type'])}" for c in declared["columns"])
    connection.execute(f"CREATE TABLE events ({columns}, dt VARCHAR)")
    for name, expected in declared_view_columns().items():
        sql = sqlglot.transpile(analytics_sql(name), read="trino", write="duckdb")[0]
        description = connection.execute(f"DESCRIBE {sql}").fetchall()
        got = [(row[0], DUCKDB_TO_HIVE[row[1]]) for row in description]
        assert got == list(expected), name


def test_named_queries_filter_the_views_in_the_workgroup(synthesized: Any) -> None:
    queries = {
        q["Name"]: q
        for q in resources(events_template(synthesized), "AWS::Athena::NamedQuery").values()
    }

    assert set(queries) == {"clarion-campaign-metrics", "clarion-event-counts"}
    metrics = queries["clarion-campaign-metrics"]["QueryString"]
    assert metrics.startswith("SELECT * FROM campaign_metrics WHERE campaign_id = ?")
    assert "FROM event_counts" in queries["clarion-event-counts"]["QueryString"]
    for query in queries.values():
        assert query["Database"] == "clarion"
        assert query["WorkGroup"] == "clarion"


# -- dashboard and alarms -----------------------------------------------------------------


def test_the_dashboard_plots_the_handlers_metrics(synthesized: Any) -> None:
    (dashboard,) = resources(events_template(synthesized), "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["DashboardBody"])

    for name in (
        "EmailSent",
        "EmailDelivered",
        "EmailOpened",
        "EmailClicked",
        "EmailBounced",
        "EmailComplained",
        "EmailUnsubscribed",
        "SmsSent",
        "SmsDelivered",
        "SmsFailed",
        "SmsOptOut",
        "CampaignSends",
        "EventsProcessed",
        "EventsRejected",
        "OptOutsApplied",
        "EndpointsInactivated",
        "EventsAccepted",
        "IteratorAge",
        "DeliveryToS3.DataFreshness",
        "ApproximateNumberOfMessagesVisible",
    ):
        assert name in body, name
    assert "clarion-events-ingest" in body


METRICS_JSON = CONTRACTS / "metrics.json"
LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"


def metrics_contract() -> dict[str, Any]:
    contract: dict[str, Any] = json.loads(METRICS_JSON.read_text(encoding="utf-8"))
    return contract


def contract_names(entry: dict[str, dict[str, str]]) -> set[str]:
    """Every metric name one function's entry of the contract gives."""
    return {name for group in entry.values() for name in group.values()}


def published_names(
    source: str, contract: dict[str, Any]
) -> tuple[str | None, set[str], list[str]]:
    """What a handler's source publishes: the function it counts for
    (``MetricCounts(metrics, "<function>")``), the names its ``count("<key>")`` and
    ``count_in("<group>", ...)`` calls publish, and the problems found (keys or groups
    the contract lacks, metrics added around the contract)."""
    import ast

    function: str | None = None
    keys: set[str] = set()
    groups: set[str] = set()
    problems: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr
            if isinstance(node.func, ast.Attribute)
            else getattr(node.func, "id", None)
        )
        first = node.args[0] if node.args else None
        literal = first.value if isinstance(first, ast.Constant) else None
        if name == "MetricCounts" and len(node.args) == 2:
            second = node.args[1]
            function = second.value if isinstance(second, ast.Constant) else None
        elif name == "add_metric":
            problems.append("publishes a metric around the contract (add_metric)")
        elif name == "count" and isinstance(literal, str):
            keys.add(literal)
        elif name == "count_in" and isinstance(literal, str):
            groups.add(literal)
    if function is None:
        if keys or groups:
            problems.append("counts without MetricCounts")
        return None, set(), problems
    entry = contract["functions"].get(function)
    if entry is None:
        return function, set(), [*problems, f"{function} has no entry in the contract"]
    counts = entry.get("counts", {})
    problems += [f"no count {key!r}" for key in sorted(keys - set(counts))]
    problems += [f"no group {group!r}" for group in sorted(groups - set(entry))]
    names = {counts[key] for key in keys if key in counts}
    for group in groups & set(entry):
        names |= set(entry[group].values())
    return function, names, problems


def test_the_dashboard_plots_the_contracts_metric_names() -> None:
    from infra.constructs.dashboard import (
        CONSUMER_METRICS,
        EMAIL_METRICS,
        INGEST_METRICS,
        NAMESPACE,
        SMS_METRICS,
    )

    contract = metrics_contract()
    functions = contract["functions"]

    assert NAMESPACE == contract["namespace"] == "Clarion"
    assert EMAIL_METRICS and SMS_METRICS and CONSUMER_METRICS and INGEST_METRICS
    plotted = EMAIL_METRICS + SMS_METRICS + CONSUMER_METRICS
    assert len(plotted) == len(set(plotted))
    assert set(plotted) == contract_names(functions["events_consumer"])
    assert set(INGEST_METRICS) == contract_names(functions["ingest_events"])


def test_each_handler_publishes_the_contracts_metric_names() -> None:
    contract = metrics_contract()
    counted: dict[str, set[str]] = {}
    for path in sorted(LAMBDAS.glob("*/handler.py")):
        folder = path.parent.name
        function, names, problems = published_names(path.read_text(encoding="utf-8"), contract)
        assert problems == [], f"{folder}: {problems}"
        if function is not None:
            assert function == folder, f"{folder} counts for {function}"
            counted[function] = names

    assert set(counted) == set(contract["functions"])
    for function, names in counted.items():
        assert names == contract_names(contract["functions"][function]), function


def test_the_handler_check_finds_names_outside_the_contract() -> None:
    contract = metrics_contract()
    source = (
        'counts = MetricCounts(metrics, "ingest_events")\n'
        'counts.count("accepted", 1)\n'
        'counts.count("dropped", 1)\n'
        'counts.count_in("event_types", "_email.open", 1)\n'
        'metrics.add_metric(name="Elsewhere", unit="Count", value=1)\n'
    )

    function, names, problems = published_names(source, contract)

    assert function == "ingest_events"
    assert names == {"EventsAccepted"}
    assert problems == [
        "publishes a metric around the contract (add_metric)",
        "no count 'dropped'",
        "no group 'event_types'",
    ]


def test_alarms_on_consumer_lag_and_dead_letters(synthesized: Any) -> None:
    alarms = resources(events_template(synthesized), "AWS::CloudWatch::Alarm").values()
    metrics = sorted(a["MetricName"] for a in alarms)

    assert metrics == [
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesVisible",
        "IteratorAge",
    ]


def test_outputs_name_what_the_cli_and_the_messaging_stack_need(synthesized: Any) -> None:
    outputs = events_template(synthesized)["Outputs"]

    assert {"EventsStream", "SesConfigurationSet", "SmsConfigurationSet", "EventsApiUrl"} <= set(
        outputs
    )
    assert outputs["SesConfigurationSet"]["Value"] == "clarion"
    assert outputs["SmsConfigurationSet"]["Value"] == "clarion"
    stage = synthesized.stage.node.find_child("Events")
    assert stage.ses_configuration_set_name == "clarion"
    assert stage.sms_configuration_set_name == "clarion"
