"""symc.backends."""
