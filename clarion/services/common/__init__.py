"""Use cases every feature shares: projects (Pinpoint applications), their settings
and the tags of any resource."""

from clarion.services.common.projects import ProjectService

__all__ = ["ProjectService"]
