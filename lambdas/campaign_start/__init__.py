"""The first step of a campaign run on AWS: plan the run (or find it), return its
audience SQL and how to batch it."""
