"""The journeys' consumer of the events stream: matches for splits, event entries."""
