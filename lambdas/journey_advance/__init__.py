"""One page of one shard of a journey: due participants moved (or ended)."""
