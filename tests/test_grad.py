"""``symc.grad``: every rule against central finite differences, in every mode and backend."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from gradcheck import numeric_grad

import symc
from symc.ops.elemwise import elemwise
from symc.ops.scalar import NOT_DIFFERENTIABLE, SCALAR_OPS

#: Unary table ops and the interval their inputs are drawn from (inside the domain, away
#: from kinks).
UNARY = {
    "neg": (-1, 1), "sqr": (-1, 1), "sqrt": (0.2, 2), "reciprocal": (0.5, 2),
    "exp": (-1, 1), "exp2": (-1, 1), "expm1": (-1, 1), "log": (0.2, 2), "log2": (0.2, 2),
    "log10": (0.2, 2), "log1p": (-0.5, 1), "sin": (-2, 2), "cos": (-2, 2), "tan": (-1, 1),
    "arcsin": (-0.8, 0.8), "arccos": (-0.8, 0.8), "arctan": (-2, 2), "sinh": (-1, 1),
    "cosh": (-1, 1), "tanh": (-1, 1), "sigmoid": (-3, 3), "softplus": (-3, 3),
    "erf": (-1.5, 1.5), "identity": (-1, 1), "abs": (0.2, 1),
}
BINARY = {"add": ((-1, 1), (-1, 1)), "sub": ((-1, 1), (-1, 1)), "mul": ((-1, 1), (-1, 1)),
          "true_div": ((-1, 1), (0.5, 2)), "pow": ((0.5, 2), (-1.5, 1.5)),
          "arctan2": ((0.2, 1), (0.2, 1)), "mod": ((1.05, 1.15), (0.6, 0.7))}


def check(inputs, cost, arrays, np_cost, mode, rtol=1e-6, atol=1e-8):
    f = symc.function(inputs, symc.grad(cost, inputs), mode=mode)
    got = f(*arrays)
    want = numeric_grad(np_cost, arrays)
    for var, g, w in zip(inputs, got, want, strict=True):
        assert g.dtype == np.dtype(var.dtype) and g.shape == w.shape, var
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=str(var))


def test_every_differentiable_table_op_has_a_rule():
    for name, op in SCALAR_OPS.items():
        assert op.grad == NOT_DIFFERENTIABLE or callable(op.grad), name


def test_unary_rules(mode, rng):
    names = sorted(UNARY)
    xs = [symc.dvector(name) for name in names]
    arrays = [rng.uniform(*UNARY[n], 4) for n in names]
    arrays[names.index("abs")] *= np.array([1, -1, 1, -1])
    weights = rng.uniform(0.5, 1.5, 4)
    cost = sum((elemwise(n, x) * weights).sum() for n, x in zip(names, xs, strict=True))

    def np_cost(*values):
        return sum((SCALAR_OPS[n].impl(v) * weights).sum()
                   for n, v in zip(names, values, strict=True))

    check(xs, cost, arrays, np_cost, mode)


def test_binary_rules(mode, rng):
    names = sorted(BINARY)
    xs = [(symc.dvector(f"{n}_a"), symc.dvector(f"{n}_b")) for n in names]
    arrays = [rng.uniform(*BINARY[n][k], 3) for n in names for k in (0, 1)]
    cost = sum(elemwise(n, a, b).sum() for n, (a, b) in zip(names, xs, strict=True))

    def np_cost(*values):
        return sum(SCALAR_OPS[n].impl(values[2 * k], values[2 * k + 1]).sum()
                   for k, n in enumerate(names))

    check([v for pair in xs for v in pair], cost, arrays, np_cost, mode)


def test_selection_rules(mode, rng):
    x, y, lo, hi = (symc.dvector(n) for n in ("x", "y", "lo", "hi"))
    c = symc.bvector("c")
    a = np.array([0.1, 0.5, 0.9, 0.35])
    b = a + np.array([0.2, -0.25, 0.3, -0.2])  # no ties
    cond = np.array([True, False, True, False])
    lo_v, hi_v = np.full(4, 0.3), np.full(4, 0.8)
    cost = (symc.maximum(x, y) * 2 + symc.minimum(x, y) * 3 + symc.clip(x, lo, hi) * 5
            + symc.switch(c, x, y) * 7).sum()
    f = symc.function([x, y, lo, hi, c], symc.grad(cost, [x, y, lo, hi]), mode=mode)
    got = f(a, b, lo_v, hi_v, cond)
    want = numeric_grad(lambda p, q, r, s: (np.maximum(p, q) * 2 + np.minimum(p, q) * 3
                                            + np.clip(p, r, s) * 5 + np.where(cond, p, q) * 7
                                            ).sum(), [a, b, lo_v, hi_v])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


def test_reductions_dimshuffle_reshape(mode, rng):
    x = symc.dmatrix("x")
    a = rng.standard_normal((3, 4))
    cost = ((x.sum(axis=0) ** 2).sum() + (x.max(axis=1) * 3).sum() + x.min() * 2
            + (x.mean(axis=1, keepdims=True) * x).sum() + (x.T * x.T).sum()
            + (x.reshape((4, 3)) * np.arange(12.0).reshape(4, 3)).sum())

    def np_cost(v):
        return ((v.sum(axis=0) ** 2).sum() + (v.max(axis=1) * 3).sum() + v.min() * 2
                + (v.mean(axis=1, keepdims=True) * v).sum() + (v.T * v.T).sum()
                + (v.reshape(4, 3) * np.arange(12.0).reshape(4, 3)).sum())

    check([x], cost, [a], np_cost, mode)


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4, 2)),
                                    ((4,), (4,))])
def test_dot(shapes, mode, rng):
    a_v, b_v = (rng.standard_normal(s) for s in shapes)
    a = symc.tensor("a", "float64", ndim=len(shapes[0]))
    b = symc.tensor("b", "float64", ndim=len(shapes[1]))
    weights = rng.standard_normal(np.dot(a_v, b_v).shape)
    cost = (symc.dot(a, b) * weights).sum()
    check([a, b], cost, [a_v, b_v], lambda p, q: (np.dot(p, q) * weights).sum(), mode)


def test_broadcasting_static_and_at_run_time(mode, rng):
    """A row vector and a (?, 1) column broadcast by their types, and a (?,) vector whose
    length happens to be 1 at run time: each gets its gradient summed back to its shape."""
    m, v = symc.dmatrix("m"), symc.dvector("v")
    col = symc.tensor("col", "float64", shape=(None, 1))
    s = symc.dscalar("s")
    cost = (symc.tanh(m * v + col) * s).sum()
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 1)),
              np.array(1.3)]

    def np_cost(p, q, r, t):
        return (np.tanh(p * q + r) * t).sum()

    check([m, v, col, s], cost, arrays, np_cost, mode)
    arrays[1] = rng.standard_normal(1)  # v broadcast at run time
    f = symc.function([m, v, col, s], symc.grad(cost, [m, v, col, s]), mode=mode)
    for g, w in zip(f(*arrays), numeric_grad(np_cost, arrays), strict=True):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


def test_float32_and_casts(mode, rng):
    x = symc.fvector("x")
    cost = (symc.exp(x) * 2).sum() + (x.astype("float64") ** 2).sum()
    a = rng.uniform(-1, 1, 5).astype(np.float32)
    g = symc.function([x], symc.grad(cost, x), mode=mode)(a)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * np.exp(a) + 2 * a, rtol=1e-5)


def test_a_small_network(mode, rng):
    """Scenario 2's shape: a sigmoid MLP with quadratic cost, gradients of every parameter."""
    x, y = symc.dmatrix("x"), symc.dmatrix("y")
    w1, b1, w2, b2 = symc.dmatrix("w1"), symc.dvector("b1"), symc.dmatrix("w2"), symc.dvector("b2")
    hidden = symc.sigmoid(symc.dot(x, w1) + b1)
    out = symc.sigmoid(symc.dot(hidden, w2) + b2)
    cost = ((out - y) ** 2).sum() / 2
    values = [rng.standard_normal((4, 5)), rng.uniform(0, 1, (4, 2)),
              rng.standard_normal((5, 3)), rng.standard_normal(3),
              rng.standard_normal((3, 2)), rng.standard_normal(2)]

    def np_cost(xv, yv, a, b, c, d):
        h = 1 / (1 + np.exp(-(xv @ a + b)))
        o = 1 / (1 + np.exp(-(h @ c + d)))
        return ((o - yv) ** 2).sum() / 2

    params = [w1, b1, w2, b2]
    f = symc.function([x, y, *params], symc.grad(cost, params), mode=mode)
    want = numeric_grad(lambda *p: np_cost(values[0], values[1], *p), values[2:])
    for g, w in zip(f(*values), want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


def test_paths_add_up_and_constants_stop_the_flow(mode):
    x = symc.dvector("x")
    y = x * 3
    cost = (y * y + y).sum()
    a = np.array([1.0, 2.0])
    g = symc.function([x], symc.grad(cost, x), mode=mode)(a)
    np.testing.assert_allclose(g, 18 * a + 3)
    g_const = symc.function([x], symc.grad(cost, x, consider_constant=[y]), mode=mode,
                            on_unused_input="ignore")(a)
    np.testing.assert_allclose(g_const, np.zeros(2))


def test_errors_and_disconnected_inputs():
    x, z = symc.dvector("x"), symc.dvector("z")
    with pytest.raises(TypeError, match="must be a float scalar"):
        symc.grad(x * 2, x)
    with pytest.raises(TypeError, match="only float variables"):
        symc.grad(x.sum(), symc.ivector("i"))
    with pytest.raises(ValueError, match="does not depend on z"):
        symc.grad(x.sum(), [x, z])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gx, gz = symc.grad(x.sum(), [x, z], disconnected_inputs="warn")
    assert any("does not depend on z" in str(w.message) for w in caught)
    f = symc.function([x, z], [gx, gz])
    np.testing.assert_array_equal(f(np.ones(2), np.full(3, np.inf))[1], np.zeros(3))
    assert symc.grad(x.sum(), x) is not None


def test_prod_with_zeros(mode):
    """prod's gradient is the product of the other elements, also where a slice holds one zero
    (nonzero there, zero elsewhere) or two (zero everywhere)."""
    x = symc.dmatrix("x")
    a = np.array([[2.0, 3.0, 4.0], [0.0, 3.0, 4.0], [0.0, 0.0, 4.0], [-1.5, 0.5, 2.0]])
    f = symc.function([x], symc.grad((x.prod(axis=1) * np.arange(1.0, 5.0)).sum() + x.prod(),
                                     x), mode=mode)
    want = numeric_grad(lambda v: (v.prod(axis=1) * np.arange(1.0, 5.0)).sum() + v.prod(), [a])
    np.testing.assert_allclose(f(a), want[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(f(a)[1], [12.0 * 2, 0.0, 0.0])  # one zero: 3*4 at the zero


def test_indexing(mode, rng):
    """Basic indexing: the gradient lands where the elements were taken (IncSubtensor)."""
    x = symc.dmatrix("x")
    k = symc.iscalar("k")
    a = rng.standard_normal((4, 5))
    cost = ((x[1:, ::2] ** 2).sum() + (x[0] * 3).sum() + x[-1, 2] * 5
            + (x[:, k] * 7).sum() + ((x[1:] - x[:-1]) ** 2).sum())

    def np_cost(v):
        return ((v[1:, ::2] ** 2).sum() + (v[0] * 3).sum() + v[-1, 2] * 5 + (v[:, 3] * 7).sum()
                + ((v[1:] - v[:-1]) ** 2).sum())

    f = symc.function([x, k], symc.grad(cost, x), mode=mode)
    np.testing.assert_allclose(f(a, 3), numeric_grad(np_cost, [a])[0], rtol=1e-6, atol=1e-8)


def test_second_derivatives(mode, rng):
    """The gradient of a gradient, through SumToShape, IncSubtensor and broadcasting."""
    x, w = symc.dvector("x"), symc.dvector("w")
    g = symc.grad((x ** 3).sum() + (x[1:] ** 3 * w[1:]).sum() + (symc.tanh(x * w)).sum(), x)
    h = symc.grad(g.sum(), [x, w])
    a, b = rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4)
    got = symc.function([x, w], h, mode=mode)(a, b)
    t = np.tanh(a * b)
    want_x = 6 * a + np.r_[0, 6 * a[1:] * b[1:]] - 2 * t * (1 - t**2) * b**2
    want_w = np.r_[0, 3 * a[1:] ** 2] + (1 - t**2) - 2 * t * (1 - t**2) * a * b
    np.testing.assert_allclose(got[0], want_x, rtol=1e-12)
    np.testing.assert_allclose(got[1], want_w, rtol=1e-12)


# -- random graphs -------------------------------------------------------------------------------

_SMOOTH_UNARY = ["tanh", "sigmoid", "sin", "sqr", "softplus", "arctan", "neg"]
_SMOOTH_BINARY = ["add", "sub", "mul"]
_KINDS = {"scalar": (), "vector": (None,), "row": (1, None), "col": (None, 1),
          "matrix": (None, None)}


def _random_cost(data, st):
    """A random smooth graph of two or three inputs (lengths 1 or full at run time, so that
    NumPy broadcasts some of them), reduced to a scalar cost."""
    inputs, values, pool = [], [], []
    for k in range(data.draw(st.integers(2, 3), label="inputs")):
        kind = data.draw(st.sampled_from(sorted(_KINDS)), label=f"kind{k}")
        var = symc.tensor(f"x{k}", "float64", shape=_KINDS[kind])
        full = (3, 4)[-var.ndim:] if var.ndim else ()
        shape = tuple(1 if s == 1 else data.draw(st.sampled_from([1, f]), label=f"len{k}")
                      for s, f in zip(var.type.shape, full, strict=True))
        inputs.append(var)
        values.append(np.random.default_rng(k).uniform(-1, 1, shape))
        pool.append(var)
    for step in range(data.draw(st.integers(2, 6), label="steps")):
        a = pool[data.draw(st.integers(0, len(pool) - 1), label=f"a{step}")]
        if data.draw(st.booleans(), label=f"unary{step}"):
            pool.append(elemwise(data.draw(st.sampled_from(_SMOOTH_UNARY)), a))
            continue
        b = pool[data.draw(st.integers(0, len(pool) - 1), label=f"b{step}")]
        if a.ndim == 2 and b.ndim == 2 and data.draw(st.booleans(), label=f"t{step}"):
            b = b.T
        pool.append(elemwise(data.draw(st.sampled_from(_SMOOTH_BINARY)), a, b))
    out = pool[-1]
    fold = data.draw(st.sampled_from(["sum", "mean", "max"]), label="fold")
    cost = getattr(symc, fold)(out * 1.7)
    return inputs, values, cost


def test_random_graphs_against_finite_differences():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def run(data):
        try:
            inputs, values, cost = _random_cost(data, st)
        except ValueError:  # shapes that cannot broadcast (e.g. a transposed row): no graph
            return
        reference = symc.function(inputs, cost, mode=symc.Mode("fast_compile", "numpy"),
                                  on_unused_input="ignore")
        try:
            reference(*values)
        except ValueError:  # run-time lengths that do not broadcast
            return
        want = numeric_grad(lambda *v: float(reference(*v)), values)
        for mode in (symc.Mode("fast_run", "llvm"), symc.Mode("fast_run", "numpy")):
            grads = symc.grad(cost, inputs, disconnected_inputs="ignore")  # unused: zeros
            got = symc.function(inputs, grads, mode=mode, on_unused_input="ignore")(*values)
            for var, g, w in zip(inputs, got, want, strict=True):
                assert g.shape == w.shape, (var, mode)
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7, err_msg=f"{var} {mode}")

    run()


def test_jacobian_and_hessian(mode, rng):
    """J[k] = d expression[k] / d wrt, against finite differences, for a vector and a matrix
    wrt; the Hessian of a scalar cost; a scalar expression gives the gradient."""
    x, m = symc.dvector("x"), symc.dmatrix("m")
    w = symc.shared(np.array([0.5, -1.0, 2.0]), name="w")
    expr = symc.tanh(symc.dot(m, x) * w) + x.sum() ** 2
    jx, jm = symc.jacobian(expr, [x, m])
    hess = symc.hessian((symc.sigmoid(x * w) * x).sum() + (x ** 3).sum(), x)
    f = symc.function([x, m], [jx, jm, symc.jacobian(expr.sum(), x)], mode=mode)
    a, b = rng.standard_normal(4), rng.standard_normal((3, 4))
    got = f(a, b)
    wv = w.get_value()

    def np_expr(p, q):
        return np.tanh((q @ p) * wv) + p.sum() ** 2

    want_x = np.array([numeric_grad(lambda p, k=k: np_expr(p, b)[k], [a])[0] for k in range(3)])
    want_m = np.array([numeric_grad(lambda q, k=k: np_expr(a, q)[k], [b])[0] for k in range(3)])
    np.testing.assert_allclose(got[0], want_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], want_m, rtol=1e-6, atol=1e-8)
    assert got[1].shape == (3, 3, 4)

    def np_grad(p):  # the gradient of the Hessian's cost, for x of w's length
        s = 1 / (1 + np.exp(-p * wv))
        return s + p * s * (1 - s) * wv + 3 * p**2

    a3 = a[:3]
    got_h = symc.function([x], hess, mode=mode)(a3)
    want_h = np.array([numeric_grad(lambda p, k=k: np_grad(p)[k], [a3])[0] for k in range(3)])
    np.testing.assert_allclose(got_h, want_h, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[2], want_x.sum(axis=0), rtol=1e-6, atol=1e-8)
    empty = symc.function([x], symc.jacobian(symc.exp(x), x), mode=mode)(np.zeros(0))
    assert empty.shape == (0, 0)  # no rows: shaped by x


def test_jacobian_and_hessian_errors():
    x, m = symc.dvector("x"), symc.dmatrix("m")
    with pytest.raises(TypeError, match="float vector"):
        symc.jacobian(m * 2, x)
    with pytest.raises(TypeError, match="wrt must hold vectors"):
        symc.hessian((m * 2).sum(), m)
    with pytest.raises(ValueError, match="does not depend on m"):
        symc.jacobian(x * 2, m)
    zeros = symc.function([x, m], symc.jacobian(x * 2, m, disconnected_inputs="ignore"))(
        np.ones(2), np.ones((3, 1)))
    np.testing.assert_array_equal(zeros, np.zeros((2, 3, 1)))
