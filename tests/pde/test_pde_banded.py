"""The matrix-free split of finite-difference field models (kind "banded") and of
fields with scalar states (kind "operator"), its exactness for every example,
and the exponential integrators on it (dense Pade and Krylov phi-functions)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import modelc
from modelc.solvers.krylov import dense_matrix, phi_krylov_apply
from modelc.solvers.phi import make_operator, phi_dense_apply

jax.config.update("jax_enable_x64", True)


def _load(path):
    return modelc.load(path, cache_modules=False)


def _parse(text):
    return modelc.parse(text, cache_modules=False)


def _matrix(m, p):
    """The dense matrix of the model's L at parameters ``p``."""
    return np.asarray(dense_matrix(lambda v: m.module.linear_apply(0.0, v, p), m.module.STATE_SIZE, p.dtype))


def _split_residual(m, seeds=range(3)):
    """max over random (t, state, parameter) points of |L u + N - f| / (1 + max |f|)."""
    mod, split = m.module, m.split

    @jax.jit
    def residual(t, y, p):
        op = make_operator(split.kind, split.linear(t, p), split.transform)
        f = mod.rhs(t, y, p)
        total = op.matvec(y) + split.nonlinear(t, y, p)
        return jnp.max(jnp.abs(total - f)) / (1 + jnp.max(jnp.abs(f)))

    worst = 0.0
    for seed in seeds:
        rng = np.random.default_rng(seed)
        t = float(rng.uniform(0.0, 1.0))
        p = mod.parameter_vector({}) * (1 + 0.2 * jnp.asarray(rng.uniform(-1, 1, len(m.param_names))))
        n = getattr(mod, "STATE_SIZE", len(m.state_names))
        y = mod.initial_state(p, {}) + 0.1 * jnp.asarray(rng.standard_normal(n))
        worst = max(worst, float(residual(t, y, p)))
    return worst


def _examples(examples_dir):
    return sorted(examples_dir.glob("*.model"))


@pytest.mark.slow
def test_every_example_has_an_exact_split_or_no_linear_part(examples_dir):
    """L u + N == f at random points for every example; a model without a split has
    no linear term at all (checked on its symbolic right-hand sides)."""
    kinds = {}
    for path in _examples(examples_dir):
        m = _load(path)
        if m.is_array_model:  # needs y0 and externals; its noise form is tested in test_externals
            continue
        info = m.ir.split
        kinds[path.stem] = None if info is None else info.kind
        if info is None:
            assert m.split is None
            if m.ir.discretization is not None:
                assert not any(op.terms for op in m.ir.discretization.linear), path.stem
            continue
        assert _split_residual(m) < 1e-12, path.stem
    assert kinds["kuramoto_sivashinsky"] == "fourier"
    assert kinds["heat_1d"] == kinds["allen_cahn"] == kinds["keller_segel"] == "banded"
    assert kinds["chromatography"] == "banded"
    assert kinds["lorenz"] == "matrix"


@pytest.mark.parametrize("name", ["chromatography", "keller_segel"])
def test_banded_examples_split_exactly(examples_dir, name):
    """Time-dependent Dirichlet data, Neumann ends, upwind advection and a
    field-dependent chemotaxis flux (which stays in N): L u + N == f."""
    m = _load(examples_dir / f"{name}.model")
    assert m.ir.split.kind == "banded"
    assert _split_residual(m) < 1e-12


def test_heat_1d_is_banded_with_the_laplacian_stencil(examples_dir):
    """heat_1d: L = D/h^2 tridiag(1, -2, 1) on interior nodes, zero rows and columns
    at the Dirichlet nodes; N = 0 (zero boundary data, no nonlinear term)."""
    m = _load(examples_dir / "heat_1d.model")
    assert (m.ir.split.kind, m.ir.split.bandwidth) == ("banded", 1)
    p = m.module.parameter_vector({"D": 0.7})
    a = _matrix(m, p)
    h = 1 / 40
    inner = 0.7 / h**2 * (np.diag(np.full(39, -2.0)) + np.diag(np.ones(38), 1) + np.diag(np.ones(38), -1))
    expected = np.zeros((41, 41))
    expected[1:-1, 1:-1] = inner
    assert np.max(np.abs(a - expected)) < 1e-9 * 0.7 / h**2
    y = jnp.asarray(np.random.default_rng(0).standard_normal(41))
    assert float(jnp.max(jnp.abs(m.module.nonlinear(0.3, y, p)))) < 1e-9


def test_boundary_data_goes_to_n_not_l(examples_dir):
    """allen_cahn (u = -1, 1 at the ends): L = eps * (zero-data Laplacian) + I and
    N = -u^3 plus eps/h^2 times the boundary value at the nodes next to the ends."""
    m = _load(examples_dir / "allen_cahn.model")
    mod = m.module
    p = mod.parameter_vector({})
    y = jnp.asarray(np.random.default_rng(1).uniform(-1, 1, mod.STATE_SIZE))
    a = _matrix(m, p)
    h = 2 / 200
    assert np.allclose(a, a.T) and np.allclose(np.diag(a)[1:-1], 1 - 2 * 0.01 / h**2)
    n = np.asarray(mod.nonlinear(0.0, y, p))
    u = np.asarray(y)
    expected = -u**3
    expected[1] += 0.01 * -1.0 / h**2
    expected[-2] += 0.01 * 1.0 / h**2
    expected[0] = expected[-1] = 0.0
    assert np.max(np.abs(n - expected)) < 1e-9


NEUMANN = """model heat_flux
parameter D = 0.5
parameter g = 2
domain x = [0, 1], points = 21
field u = cos(x)
boundary u = 1 at x = 0
boundary diff(u, x) = g at x = 1
der(u) = D*diff(u, x, 2)
"""


@pytest.mark.parametrize("phi", ["dense", "krylov"])
def test_etd1_is_exact_on_linear_fd_heat(examples_dir, phi):
    """Exponential Euler is exact for u' = L u + b with constant b: heat_1d against
    expm(t L) u0 and a Dirichlet/Neumann problem (boundary data in b) against the
    exponential of the augmented matrix [[L, b], [0, 0]]."""
    m = _load(examples_dir / "heat_1d.model")
    p = m.module.parameter_vector({})
    y0 = np.asarray(m.module.initial_state(p, {}))
    sol = m.solve(t=(0, 0.1), method="etd1", dt0=0.02, points=2, phi=phi)
    exact = scipy.linalg.expm(0.1 * _matrix(m, p)) @ y0
    assert np.max(np.abs(sol.fields["u"][-1] - exact)) < 1e-12

    m = _parse(NEUMANN)
    p = m.module.parameter_vector({})
    y0 = np.asarray(m.module.initial_state(p, {}))
    a = _matrix(m, p)
    b = np.asarray(m.module.nonlinear(0.0, jnp.asarray(y0), p))
    aug = np.zeros((len(y0) + 1, len(y0) + 1))
    aug[:-1, :-1], aug[:-1, -1] = a, b
    exact = (scipy.linalg.expm(0.2 * aug) @ np.append(y0, 1.0))[:-1]
    exact[0] = 1.0  # the Dirichlet node holds the boundary value
    sol = m.solve(t=(0, 0.2), method="etd1", dt0=0.05, points=2, phi=phi)
    assert np.max(np.abs(sol.fields["u"][-1] - exact)) < 1e-12


def _allen_cahn(examples_dir, points):
    return _parse((examples_dir / "allen_cahn.model").read_text().replace("points = 201", f"points = {points}"))


@pytest.mark.parametrize("phi", ["dense", pytest.param("krylov", marks=pytest.mark.slow)])
def test_etdrk4_is_fourth_order_on_fd_allen_cahn(examples_dir, phi):
    """ETDRK4 on the fd Allen--Cahn equation (Dirichlet -1/1): order 4 against rodas5."""
    m = _allen_cahn(examples_dir, 51)
    ref = m.solve(t=(0, 2), method="rodas5", rtol=1e-12, atol=1e-12, points=2).fields["u"][-1]
    errors = [np.max(np.abs(m.solve(t=(0, 2), method="etdrk4", dt0=dt, points=2, phi=phi).fields["u"][-1]
                            - ref)) for dt in (0.2, 0.1, 0.05)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 3.7), orders


def _fd_laplacian_2d(nx, ny, dx, dy):
    one = lambda n: np.diag(np.full(n, -2.0)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)  # noqa: E731
    return np.kron(one(nx), np.eye(ny)) / dx**2 + np.kron(np.eye(nx), one(ny)) / dy**2


@pytest.mark.parametrize("advection", [0.0, 40.0])
def test_krylov_phi_agrees_with_dense(advection):
    """sum_k phi_k(hA) w_k by Krylov (substeps, error estimate) and by dense Pade agree
    to 1e-10 (of the vectors' size) for a stiff 2-D Laplacian (||hA|| ~ 500) and with upwind advection."""
    rng = np.random.default_rng(3)
    nx, ny = 14, 12
    a = 0.01 * _fd_laplacian_2d(nx, ny, 1 / 15, 1 / 13)
    a += advection * (np.eye(nx * ny, k=1) - np.eye(nx * ny)) / (1 / 15)
    a = jnp.asarray(a)
    ws = [jnp.asarray(rng.standard_normal(nx * ny)) for _ in range(4)]
    ws[2] = None
    for h in (0.05, 2.0):
        dense = phi_dense_apply(h * a, ws)
        krylov = phi_krylov_apply(lambda v: h * (a @ v), ws)
        scale = max(float(jnp.max(jnp.abs(dense))), max(float(jnp.max(jnp.abs(w))) for w in ws if w is not None))
        assert float(jnp.max(jnp.abs(krylov - dense))) < 1e-10 * scale


FISHER_2D = """model fisher_2d
parameter D = 0.05
domain x = [0, 1], points = {n}
domain y = [0, 1], points = {n}
field u = 0.2 + 0.5*exp(-((x - 0.3)^2 + (y - 0.6)^2)/0.02)
boundary diff(u, x) = 0 at x = 0
boundary diff(u, x) = 0 at x = 1
boundary diff(u, y) = 0 at y = 0
boundary diff(u, y) = 0 at y = 1
der(u) = D*laplacian(u) + u*(1 - u)
"""


@pytest.mark.slow
def test_etdrk4_krylov_order_on_2d_fd_reaction_diffusion():
    """ETDRK4 with Krylov phi-functions (auto: 900 unknowns) on a 2-D fd Fisher--KPP
    problem with zero-flux ends: order 4 against a fine run.

    (With boundary data that the solution does not satisfy at t = 0, e.g. u = 0.2 +
    0.1 t at one end or a flux of 0.1, ETDRK4 shows the known order reduction of
    inhomogeneous boundary data: about 3.3, 2.5 and 3.3, 3.7 at h = 0.2, 0.1, 0.05.)"""
    m = _parse(FISHER_2D.format(n=30))
    assert m.ir.split.kind == "banded" and m.ir.split.bandwidth == 30
    final = lambda dt: m.solve(t=(0, 1), method="etdrk4", dt0=dt, points=2).fields["u"][-1]  # noqa: E731
    ref = final(0.00625)
    errors = [np.max(np.abs(final(dt) - ref)) for dt in (0.1, 0.05, 0.025)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 3.5), (errors, orders)


MIXED = """model mixed
parameter nu = 0.3
domain x = [0, 2*pi], periodic, points = 32
field u = 1 + 0.5*sin(x)
state a = 1
der(u) = nu*diff(u, x, 2) - u + a*cos(x)
der(a) = -a*integral(u^2)/(2*pi)
"""

MIXED_FD = MIXED.replace("periodic, points = 32", "periodic, points = 40, method = fd, order = 4")


@pytest.mark.parametrize("text,kind", [(MIXED, "operator"), (MIXED_FD, "banded")])
def test_fields_with_scalar_states(text, kind):
    """Fields beside a scalar state: the state's row of L is zero, the split is exact
    and ETDRK4 matches a tight tsit5 solution at order 4."""
    m = _parse(text)
    assert m.ir.split.kind == kind
    p = m.module.parameter_vector({})
    assert np.all(_matrix(m, p)[0] == 0)
    assert _split_residual(m) < 1e-12
    ref = m.solve(t=(0, 1), method="tsit5", rtol=1e-12, atol=1e-12, points=2)
    errors = []
    for dt in (0.1, 0.05):
        sol = m.solve(t=(0, 1), method="etdrk4", dt0=dt, points=2)
        errors.append(max(np.max(np.abs(sol.fields["u"][-1] - ref.fields["u"][-1])),
                          abs(sol.y[-1, 0] - ref.y[-1, 0])))
    assert np.log2(errors[0] / errors[1]) > 3.5, errors


@pytest.mark.slow
@pytest.mark.parametrize("phi, adjoint", [("dense", "checkpoint"), ("dense", "forward"),
                                          ("krylov", "forward")])
def test_gradient_through_etdrk4_on_an_fd_model(examples_dir, phi, adjoint):
    """jax.grad of a loss after ETDRK4 on allen_cahn agrees with central differences:
    the discrete adjoint through the dense phi (`expm_reversible`), forward
    sensitivities through the dense and the Krylov phi (forward mode only)."""
    import modelc

    m = _allen_cahn(examples_dir, 21)
    adjoint = {"checkpoint": modelc.CheckpointAdjoint(),
               "forward": modelc.ForwardAdjoint()}[adjoint]
    solve = m.solver(method="etdrk4", dt0=0.05, phi=phi, adjoint=adjoint)
    ts = jnp.asarray([0.0, 0.5])

    def loss(eps):
        return jnp.sum(solve({}, {"eps": eps}, ts)["u"][-1] ** 2)

    grad = float(jax.grad(loss)(0.02))
    step = 1e-6
    fd = (float(loss(0.02 + step)) - float(loss(0.02 - step))) / (2 * step)
    assert abs(grad - fd) < 1e-6 * max(1.0, abs(fd))


@pytest.mark.slow
def test_krylov_phi_reverse_mode_matches_dense_and_forward_mode():
    """jax.grad of <c, sum_k phi_k(h D A) w_k> by Krylov (substep transpose) with respect
    to D (inside the matvec) and the vectors equals the dense Pade gradient, and the
    reverse and forward derivatives are transposes of each other."""
    from modelc.solvers.phi import expm_reversible
    rng = np.random.default_rng(5)
    n = 70
    a = jnp.asarray(n**2 * (np.eye(n, k=1) + np.eye(n, k=-1) - 2 * np.eye(n)))
    c, w0, w2 = (jnp.asarray(rng.standard_normal(n)) for _ in range(3))

    def loss(d, w0, w2, krylov=True):
        ws = [w0, None, w2]
        out = (phi_krylov_apply(lambda v: 0.02 * d * (a @ v), ws) if krylov
               else phi_dense_apply(0.02 * d * a, ws, expm_reversible))
        return jnp.dot(c, out)

    grad = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(0.7, w0, w2)
    dense = jax.grad(loss, argnums=(0, 1, 2))(0.7, w0, w2, False)
    for g, r in zip(grad, dense):
        np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-11 * float(jnp.max(jnp.abs(r))))
    _, tangent = jax.jvp(lambda d: loss(d, w0, w2), (0.7,), (1.0,))
    assert abs(float(tangent) - float(grad[0])) < 1e-10 * abs(float(grad[0]))


FD_GRADIENT_MODEL = """model fisher_1d
parameter D = 0.02, r = 1
domain x = [-1, 1], points = 81
field u = 0.53*x + 0.47*sin(-1.5*pi*x)
boundary u = -1 at x = -1
boundary u = 1 at x = 1
der(u) = D*diff(u, x, 2) + r*(u - u^3)
"""


@pytest.mark.slow
def test_gradient_through_etdrk4_krylov_matches_dense_and_differences():
    """81 unknowns (phi="auto" picks Krylov): jax.grad of a loss after ETDRK4 with respect
    to D (in L), r (in N) and the initial field equals the phi="dense" gradient and
    central differences; the forward solution is the dense one."""
    m = _parse(FD_GRADIENT_MODEL)
    assert m.module.STATE_SIZE > 64
    ts = jnp.asarray([0.0, 0.5])
    u0 = jnp.asarray(m.resolved_values()["u"])

    def loss_for(phi):
        solve = m.solver(method="etdrk4", dt0=0.05, phi=phi)
        return lambda d, r, u: jnp.sum(solve({"u": u}, {"D": d, "r": r}, ts)["u"][-1] ** 2)

    krylov, dense = loss_for("auto"), loss_for("dense")
    assert abs(float(krylov(0.02, 1.0, u0)) - float(dense(0.02, 1.0, u0))) < 1e-11 * float(dense(0.02, 1.0, u0))
    grad = jax.jit(jax.grad(krylov, argnums=(0, 1, 2)))(0.02, 1.0, u0)
    ref = jax.jit(jax.grad(dense, argnums=(0, 1, 2)))(0.02, 1.0, u0)
    for g, r in zip(grad, ref):
        np.testing.assert_allclose(g, r, rtol=1e-8, atol=1e-10 * float(jnp.max(jnp.abs(r))))
    step = 1e-6
    fd = [(krylov(0.02 + step, 1.0, u0) - krylov(0.02 - step, 1.0, u0)) / (2 * step),
          (krylov(0.02, 1.0 + step, u0) - krylov(0.02, 1.0 - step, u0)) / (2 * step)]
    for g, f in zip(grad[:2], fd):
        assert abs(float(g) - float(f)) < 1e-6 * abs(float(f))
    bump = jnp.asarray(np.random.default_rng(0).standard_normal(u0.shape))
    fd_u = (krylov(0.02, 1.0, u0 + step * bump) - krylov(0.02, 1.0, u0 - step * bump)) / (2 * step)
    assert abs(float(jnp.sum(grad[2] * bump)) - float(fd_u)) < 1e-6 * abs(float(fd_u))


def test_show_describes_the_banded_split(examples_dir):
    """`modelc show` names the kind, the bandwidth, the fields L acts on and its zero rows."""
    from modelc.show import describe_split
    text = "\n".join(describe_split(_load(examples_dir / "keller_segel.model").ir))
    assert "L banded" in text and "half-bandwidth 1" in text
    assert "L acts on: w, c" in text and "zero rows of L: n" in text


def test_phi_option_is_checked(examples_dir):
    """An unknown phi method is a clear error."""
    with pytest.raises(ValueError, match="phi="):
        _load(examples_dir / "heat_1d.model").solve(method="etdrk4", phi="taylor")


@pytest.mark.parametrize("phi", ["dense", pytest.param("krylov", marks=pytest.mark.slow)])
def test_float32_runs(examples_dir, phi):
    """float32 states through both phi paths stay within float32 accuracy of float64."""
    m = _load(examples_dir / "heat_1d.model")
    single = m.solve(method="etdrk4", dt0=0.01, dtype="float32", phi=phi)
    double = m.solve(method="etdrk4", dt0=0.01, phi=phi)
    assert single.fields["u"].dtype == np.float32 and single.status == 0
    assert np.max(np.abs(single.fields["u"][-1] - double.fields["u"][-1])) < 1e-5
