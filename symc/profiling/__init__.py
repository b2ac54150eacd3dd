"""symc.profiling."""
