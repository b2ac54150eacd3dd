"""Tests of symc.runtime: the native thread pool, parallel_for and the split planner."""
