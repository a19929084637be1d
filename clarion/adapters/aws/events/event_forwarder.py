"""Event-stream records to a project's own Kinesis data stream or Firehose delivery
stream (PutEventStream's destination), with the destination's role assumed, as
Pinpoint's event stream wrote them: the ``aws`` EventForwarder.

The ARN tells which service: ``arn:aws:kinesis:<region>:<account>:stream/<name>`` or
``arn:aws:firehose:<region>:<account>:deliverystream/<name>``. Credentials of the
assumed role are kept until five minutes before they expire.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from clarion.adapters.aws.common.kinesis import chunks, put_records
from clarion.adapters.aws.common.retry import backoff_delay
from clarion.domain.events.records import EventRecord
from clarion.ports.events import StreamDestination

FIREHOSE_BATCH = 500
MAX_ATTEMPTS = 8


def parse_stream_arn(arn: str) -> tuple[str, str, str]:
    """(service, region, name) of a Kinesis or Firehose ARN.

    Raises
    ------
    ValueError
        For any other ARN.
    """
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        service, region, resource = parts[2], parts[3], parts[5]
        kind, _, name = resource.partition("/")
        if (service, kind) in (("kinesis", "stream"), ("firehose", "deliverystream")) and name:
            return service, region, name
    raise ValueError(f"{arn!r} is not a Kinesis stream or Firehose delivery stream ARN")


class AwsEventForwarder:
    """EventForwarder with STS and Kinesis/Firehose clients (module docstring).

    Parameters
    ----------
    sts
        A boto3 STS client.
    make_client
        ``make_client(service, region, credentials)``: a client on the assumed role.
    """

    def __init__(
        self,
        sts: Any,
        make_client: Callable[[str, str, dict[str, str]], Any],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sts = sts
        self._make_client = make_client
        self._sleep = sleep
        self._clients: dict[tuple[str, str, str], tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, region: str, destination: StreamDestination) -> Any:
        key = (service, region, destination.role_arn)
        with self._lock:
            cached = self._clients.get(key)
            if cached is not None and cached[1] - time.time() > 300:
                return cached[0]
            request: dict[str, Any] = {
                "RoleArn": destination.role_arn,
                "RoleSessionName": "clarion-event-stream",
            }
            if destination.external_id:
                request["ExternalId"] = destination.external_id
            credentials = self._sts.assume_role(**request)["Credentials"]
            client = self._make_client(
                service,
                region,
                {
                    "aws_access_key_id": credentials["AccessKeyId"],
                    "aws_secret_access_key": credentials["SecretAccessKey"],
                    "aws_session_token": credentials["SessionToken"],
                },
            )
            expires = credentials["Expiration"]
            self._clients[key] = (client, expires.timestamp())
            return client

    def forward(self, destination: StreamDestination, records: Sequence[EventRecord]) -> None:
        if not records:
            return
        service, region, name = parse_stream_arn(destination.stream_arn)
        client = self._client(service, region, destination)
        blobs = [
            (
                json.dumps(r.to_json(), separators=(",", ":"), ensure_ascii=False).encode() + b"\n",
                (r.endpoint_id or r.event_id)[:256],
            )
            for r in records
        ]
        if service == "kinesis":
            entries = [{"Data": data, "PartitionKey": key} for data, key in blobs]
            for chunk in chunks(entries):
                put_records(client, name, chunk, self._sleep)
            return
        for start in range(0, len(blobs), FIREHOSE_BATCH):
            pending = [{"Data": data} for data, _ in blobs[start : start + FIREHOSE_BATCH]]
            for attempt in range(MAX_ATTEMPTS):
                response = client.put_record_batch(DeliveryStreamName=name, Records=pending)
                if not response.get("FailedPutCount"):
                    break
                results = response.get("RequestResponses", [])
                pending = [e for e, r in zip(pending, results, strict=True) if r.get("ErrorCode")]
                self._sleep(backoff_delay(attempt))
            else:
                raise RuntimeError(
                    f"Firehose {name}: {len(pending)} record(s) still refused after "
                    f"{MAX_ATTEMPTS} attempts"
                )
