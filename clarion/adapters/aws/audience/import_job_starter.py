"""The AWS ImportJobStarter: an execution of the import-job state machine per file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from clarion.services.audience.import_jobs import execution_name


class StepFunctionsImportJobStarter:
    """Starts the import-job state machine (infra/statemachines/import_job.asl.json).

    The execution's input is ``{"Bucket", "Key", "Job"}``; its name is derived from the
    job and the file, so a second start of the same file is refused by Step Functions
    (``ExecutionAlreadyExists``) and answered with the first execution.
    """

    def __init__(self, stepfunctions_client: Any, state_machine_arn: str) -> None:
        if not state_machine_arn:
            raise ValueError(
                "the import-job state machine ARN is not set (CLARION_IMPORT_JOB_STATE_MACHINE_ARN)"
            )
        self._sfn = stepfunctions_client
        self._arn = state_machine_arn

    def start_file(self, job: Mapping[str, Any], file_url: str) -> str:
        parsed = urlparse(file_url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"{file_url!r} is not an s3:// URL")
        name = execution_name(str(job["JobId"]), int(job.get("File", 0)))
        try:
            response = self._sfn.start_execution(
                stateMachineArn=self._arn,
                name=name,
                input=json.dumps(
                    {"Bucket": parsed.netloc, "Key": parsed.path.lstrip("/"), "Job": dict(job)}
                ),
            )
        except self._sfn.exceptions.ExecutionAlreadyExists:
            machine = self._arn.split(":stateMachine:", 1)
            return f"{machine[0]}:execution:{machine[1]}:{name}"
        return str(response["executionArn"])
