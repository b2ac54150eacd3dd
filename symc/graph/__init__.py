"""symc.graph."""
