"""A journey run's members have all been offered: the next pending run, if any."""
