"""symc.ops."""
