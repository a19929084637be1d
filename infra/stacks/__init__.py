"""Stacks compose constructs; ``infra.stage.ClarionStage`` composes the stacks."""
