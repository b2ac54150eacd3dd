"""symc.passes."""
