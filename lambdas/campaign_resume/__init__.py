"""Resuming a campaign run: the deferred endpoints now due, written as the next pass's
batches for the Distributed Map."""
