"""The journey tick's last step: runs and journeys that finished are closed."""
