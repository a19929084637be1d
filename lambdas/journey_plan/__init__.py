"""The journey tick's first step on AWS: start the due segment runs and list the work."""
