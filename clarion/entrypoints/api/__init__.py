"""Pinpoint's REST API served by Clarion: one ASGI application for every operation of
botocore's ``pinpoint`` model, run by ``clarion serve`` (uvicorn) locally and by the
API Lambda (Mangum) behind API Gateway on AWS."""

from clarion.entrypoints.api.app import MAX_BODY_BYTES, RateLimit, create_app

__all__ = ["MAX_BODY_BYTES", "RateLimit", "create_app"]
