"""One batch of a journey run's segment members, offered to the journey."""
