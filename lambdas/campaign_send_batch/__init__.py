"""One batch of a campaign run: the Distributed Map's item processor."""
