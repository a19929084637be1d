"""One construct per logical unit; stacks under ``infra.stacks`` compose them."""
