"""symc.runtime."""
