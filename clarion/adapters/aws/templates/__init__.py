"""The AWS TemplateRepository (DynamoDB)."""

from clarion.adapters.aws.templates.template_repository import DynamoDBTemplateRepository

__all__ = ["DynamoDBTemplateRepository"]
