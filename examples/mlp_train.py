"""Training a small network with ``symc.grad``: scenario 2 of SCENARIOS.md.

A 784-30-10 sigmoid MLP with quadratic cost, trained by SGD on mini-batches of 10 (learning
rate 3), as in the NumPy-vs-Julia article. The user writes only the forward cost; symc
derives the gradients (``symc.grad``), and ``updates=`` applies them to the shared weights
inside the compiled function. The same training is run by hand-written NumPy backprop from
the same initial weights, and the two sets of weights must agree at the end.

The data is random (MNIST-sized: 784 inputs, 10 one-hot classes), so the point is the time
per epoch and the agreement, not the accuracy.

Usage::

    python examples/mlp_train.py                          # 50,000 samples, 1 epoch
    python examples/mlp_train.py --samples 2000 --epochs 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import symc


def initial_weights(rng, n_in: int, n_hidden: int, n_out: int) -> list[np.ndarray]:
    """w1, b1, w2, b2, scaled by 1/sqrt(fan-in)."""
    return [rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in), np.zeros(n_hidden),
            rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden), np.zeros(n_out)]


def symc_trainer(weights: list[np.ndarray], batch: int, rate: float):
    """``(train(x, y) -> cost, params)``: one SGD step per call, gradients by symc.grad."""
    params = [symc.shared(w.copy(), name=n) for w, n in zip(weights, ("w1", "b1", "w2", "b2"),
                                                            strict=True)]
    w1, b1, w2, b2 = params
    x, y = symc.dmatrix("x"), symc.dmatrix("y")
    hidden = symc.sigmoid(symc.dot(x, w1) + b1)
    out = symc.sigmoid(symc.dot(hidden, w2) + b2)
    cost = ((out - y) ** 2).sum() / (2 * batch)
    grads = symc.grad(cost, params)
    train = symc.function([x, y], cost, name="train",
                          updates=[(p, p - rate * g) for p, g in zip(params, grads, strict=True)])
    return train, params


def numpy_epoch(weights: list[np.ndarray], xs, ys, batch: int, rate: float) -> None:
    """One epoch of hand-written backprop, updating ``weights`` in place."""
    w1, b1, w2, b2 = weights

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    for i in range(0, len(xs), batch):
        x, y = xs[i:i + batch], ys[i:i + batch]
        hidden = sigmoid(x @ w1 + b1)
        out = sigmoid(hidden @ w2 + b2)
        d_out = (out - y) * out * (1 - out) / batch
        d_hidden = (d_out @ w2.T) * hidden * (1 - hidden)
        w2 -= rate * hidden.T @ d_out
        b2 -= rate * d_out.sum(axis=0)
        w1 -= rate * x.T @ d_hidden
        b1 -= rate * d_hidden.sum(axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rate", type=float, default=3.0)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    xs = rng.random((args.samples, 784))
    ys = np.eye(10)[rng.integers(0, 10, args.samples)]
    weights = initial_weights(rng, 784, 30, 10)
    start = time.perf_counter()
    train, params = symc_trainer(weights, args.batch, args.rate)
    compile_time = time.perf_counter() - start
    reference = [w.copy() for w in weights]
    for epoch in range(args.epochs):
        start = time.perf_counter()
        for i in range(0, args.samples, args.batch):
            cost = train(xs[i:i + args.batch], ys[i:i + args.batch])
        symc_time = time.perf_counter() - start
        start = time.perf_counter()
        numpy_epoch(reference, xs, ys, args.batch, args.rate)
        numpy_time = time.perf_counter() - start
        print(f"epoch {epoch + 1}: symc {symc_time:.3f} s, hand-written NumPy {numpy_time:.3f} s "
              f"({numpy_time / symc_time:.2f}x); last batch cost {float(cost):.4f}")
    worst = max(float(np.max(np.abs(p.get_value() - w))) for p, w in
                zip(params, reference, strict=True))
    print(f"compile {compile_time * 1e3:.0f} ms; largest weight difference from NumPy {worst:.1e}")
    if not worst < 1e-8:
        raise SystemExit("symc's weights differ from the NumPy reference")


if __name__ == "__main__":
    main()
