"""One module per feature, each a few functions registered with
``clarion.entrypoints.api.registry.operation``: read the call's members, make one
service call, return Pinpoint's output payload."""
