"""The end of a campaign run's pass: counts from the ledger, and when to resume."""
