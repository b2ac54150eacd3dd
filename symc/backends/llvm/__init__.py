"""symc.backends.llvm."""
