"""Workload ``mlp``: one SGD step of scenario 2's 784-30-10 sigmoid MLP, gradients included.

Each call is one training step on a mini-batch (the size column is the batch): forward pass,
quadratic cost, gradients of the four parameters, update with learning rate 3. It answers
the batch's cost before the update. NumPy is hand-written backprop (what the article's users
wrote); PyTensor, JAX and symc differentiate the same forward cost themselves (``grad`` with
``updates=``, or ``jax.grad`` inside ``jax.jit``).

Every peer keeps its weights between calls. They are reset to the same initial values before
each size's first (checked) call, outside the timing. That call's cost must equal NumPy's
forward pass on the initial weights.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np

from benchmarks.array_peers import SYMC_NODES_NOTE
from benchmarks.comparison import Case, close_to, comparison_table, run_workload
from benchmarks.peers import Peer, import_library
from benchmarks.settings import Settings

NAME = "mlp"
TITLE = "mlp: one SGD step (forward, gradients, update) of a 784-30-10 sigmoid MLP, float64"
QUICK_SIZES = [10]
FULL_SIZES = [10, 100, 1_000]
CHECK = close_to(rtol=1e-10)
RATE = 3.0
SHAPES = [(784, 30), (30,), (30, 10), (10,)]


def initial_weights() -> list[np.ndarray]:
    """The same starting weights for every peer (1/sqrt(fan-in) Gaussians, zero biases)."""
    rng = np.random.default_rng(7)
    return [rng.standard_normal(s) / np.sqrt(s[0]) if len(s) == 2 else np.zeros(s)
            for s in SHAPES]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward_cost(weights, x, y) -> float:
    """NumPy's cost of a batch: the expected answer of a step."""
    w1, b1, w2, b2 = weights
    out = _sigmoid(_sigmoid(x @ w1 + b1) @ w2 + b2)
    return float(((out - y) ** 2).sum() / (2 * len(x)))


def numpy_peer() -> Peer:
    """Hand-written backprop, updating the weights in place."""
    weights: list[np.ndarray] = []

    def step(x, y):
        w1, b1, w2, b2 = weights
        hidden = _sigmoid(x @ w1 + b1)
        out = _sigmoid(hidden @ w2 + b2)
        cost = ((out - y) ** 2).sum() / (2 * len(x))
        d_out = (out - y) * out * (1 - out) / len(x)
        d_hidden = (d_out @ w2.T) * hidden * (1 - hidden)
        w2 -= RATE * hidden.T @ d_out
        b2 -= RATE * d_out.sum(axis=0)
        w1 -= RATE * x.T @ d_hidden
        b1 -= RATE * d_hidden.sum(axis=0)
        return cost

    def prepare(inputs):
        weights[:] = initial_weights()
        return inputs

    return Peer("numpy", "numpy", lambda: step, prepare)


def _symbolic_peer(name: str, library: str, build_step) -> Peer:
    """A peer whose ``build_step(weights) -> (step, reset)`` compiles a training step."""
    made: dict = {}

    def build():
        made["step"], made["reset"] = build_step(initial_weights())
        return lambda x, y: made["step"](x, y)

    def prepare(inputs):
        made["reset"](initial_weights())
        return inputs

    return Peer(name, library, build, prepare)


def _graph(m, grad, shared, weights, batch_size=None):
    """The forward cost in namespace ``m`` and its update pairs."""
    params = [shared(w.copy()) for w in weights]
    w1, b1, w2, b2 = params
    x, y = m.dmatrix("x"), m.dmatrix("y")
    out = m.sigmoid(m.dot(m.sigmoid(m.dot(x, w1) + b1), w2) + b2)
    cost = ((out - y) ** 2).sum() / (2 * x.shape[0])
    grads = grad(cost, params)
    return params, (x, y), cost, [(p, p - RATE * g) for p, g in zip(params, grads, strict=True)]


def _reset(params):
    def reset(weights):
        for p, w in zip(params, weights, strict=True):
            p.set_value(w.copy())

    return reset


def _graph_peer(library: str, namespace) -> Peer:
    """``<library>.grad`` and ``updates=`` in one compiled function (the library's default
    mode); ``namespace(library_module)`` gives the module holding ``dmatrix``, ``dot``, ..."""

    def build_step(weights):
        lib = import_library(library)
        params, inputs, cost, updates = _graph(namespace(lib), lib.grad, lib.shared, weights)
        return lib.function(list(inputs), cost, updates=updates), _reset(params)

    return _symbolic_peer(library, library, build_step)


def symc_peer() -> Peer:
    """``symc.grad`` and ``updates=`` in one compiled function."""
    return _graph_peer("symc", lambda symc: symc)


def pytensor_peer() -> Peer:
    """``pytensor.grad`` and ``updates=`` in one compiled function (default mode)."""
    return _graph_peer("pytensor", lambda pytensor: importlib.import_module("pytensor.tensor"))


def jax_peer() -> Peer:
    """``jax.value_and_grad`` inside ``jax.jit``; the new weights stay on the device."""

    def build_step(weights):
        jax = import_library("jax")

        def cost(params, x, y):
            w1, b1, w2, b2 = params
            out = jax.nn.sigmoid(jax.nn.sigmoid(x @ w1 + b1) @ w2 + b2)
            return ((out - y) ** 2).sum() / (2 * x.shape[0])

        @jax.jit
        def update(params, x, y):
            value, grads = jax.value_and_grad(cost)(params, x, y)
            return value, [p - RATE * g for p, g in zip(params, grads, strict=True)]

        state = {}

        def step(x, y):
            value, state["params"] = update(state["params"], x, y)
            return value.block_until_ready()

        def reset(new):
            state["params"] = [jax.device_put(w) for w in new]

        reset(weights)
        return step, reset

    return _symbolic_peer("jax jit", "jax", build_step)


def peers() -> list[Peer]:
    """Every peer of this workload, in table order."""
    return [numpy_peer(), pytensor_peer(), jax_peer(), symc_peer()]


def make_case(batch: int, seed: int = 3) -> Case:
    """A batch of MNIST-sized random samples with one-hot targets."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, 784))
    y = np.eye(10)[rng.integers(0, 10, batch)]
    return Case(batch, (x, y), forward_cost(initial_weights(), x, y))


def run(settings: Settings, peer_list: list[Peer] | None = None) -> dict:
    """Time one training step of every peer at every batch size."""
    notes = [
        SYMC_NODES_NOTE,
        "N is the batch size; a call is one SGD step (learning rate 3) and answers the cost.",
        "check: the first call's cost against NumPy's forward pass on the shared initial"
        " weights, rtol=1e-10; weights are reset before each size, outside the timing.",
        "scenario 2 trains with batches of 10: 5,000 steps make one 50,000-sample epoch.",
        "examples/mlp_train.py checks that a whole symc epoch ends on the same weights as the"
        " NumPy backprop (to 1e-15).",
    ]
    return run_workload(sys.modules[__name__], settings, peer_list, notes)


def tables(result: dict) -> list:
    """The markdown tables of a result."""
    return [comparison_table(result, size_label="batch")]
