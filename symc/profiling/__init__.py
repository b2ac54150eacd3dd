"""symc.profiling: per-node timing, Theano's ``summary()`` report, and trace export.

    f = symc.function([x, y], out, profile=True)   # or symc.config.profile = True
    ...
    f.profile.summary()             # this function's report
    symc.profiling.summary()        # every profiled function's report, then the merged one

With ``config.profile`` on (``SYMC_FLAGS=profile=True``) every report is printed at exit.
Backends report compile phases, cache hits and thread use through the hooks documented in
:mod:`symc.profiling.stats`.
"""

from symc.profiling.stats import ProfileStats, current_profile, profiles, summary

__all__ = ["ProfileStats", "current_profile", "profiles", "summary"]
