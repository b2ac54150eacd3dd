"""The statuses a kernel's entry point answers, in a module of their own.

The IR emitters write them into the kernels; the Python call path (:mod:`callpath`) reads
them on every slow call. Keeping them here lets a process that loads cached kernels run
without importing ``llvmlite.ir`` or the emitters (~6 ms of a warm compile; the runtime is
imported anyway, before any object code is loaded, because kernels link against it).
"""

from __future__ import annotations

STATUS_OK, STATUS_LAYOUT, STATUS_SHAPE = 0, 1, 2
#: A kernel stored this in its context: an integer was raised to a negative power.
STATUS_NEGATIVE_POWER = 3
NEGATIVE_POWER_MESSAGE = "Integers to negative integer powers are not allowed."
#: The reduction's partial outputs could not be allocated (the thunk raises MemoryError).
STATUS_NO_MEMORY = 5
#: Done; Python should prepare the runtime's pool for the next large calls
#: (``symc.runtime.dispatch.STATUS_PREPARE``: emit_entry checks they agree).
STATUS_PREPARE = 64
#: Not done: a large reduction needs the runtime first; prepare it and call again.
STATUS_RETRY = 65


def prepare_runtime() -> None:
    """Create the runtime's pool or measure it: :func:`symc.runtime.dispatch.prepare`, looked
    up at each call (so that tests replacing it reach the compiled entries too)."""
    from symc.runtime.dispatch import prepare

    prepare()
