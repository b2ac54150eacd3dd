"""symc.compile."""
