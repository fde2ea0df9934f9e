"""TensorLy's own CP / TT / Tucker tests, run unchanged on tnverify.numeric through a thin adapter.

Skipped when TensorLy is absent (it comes with ``pip install -e .[bench]``).

How: three adapter functions with the exact signatures of TensorLy 0.10's ``parafac``,
``tensor_train`` and ``tucker`` map their arguments onto :func:`tnverify.numeric.cp_als`,
:func:`tnverify.numeric.tt_svd` and :func:`tnverify.numeric.tucker_hooi`. While TensorLy's test
modules ``test_cp``, ``test_tt_decomposition`` and ``test_tucker`` are loaded (a fresh copy of
each file, under a private module name), the names ``tensorly.decomposition._cp.parafac``,
``_tt.tensor_train`` and ``_tucker.tucker`` point to the adapters, so every reference of the test
code, including the parametrisations, binds to them; TensorLy's own names are restored right
after. Not one assertion, tolerance or test body is changed. The adapters carry the module and
name of TensorLy's functions, so ``assert_class_wrapper_correctly_passes_arguments`` checks that
TensorLy's ``CP`` / ``TensorTrain`` / ``Tucker`` classes pass every argument of the adapter.

What the adapters do besides renaming: tensors go through ``numpy``; a
``numpy.random.RandomState`` becomes a seed drawn from it; a ``CPTensor`` or ``TuckerTensor``
becomes ``(weights, factors)`` / ``(core, factors)``; a CP start whose factor for a free mode does
not fit the tensor becomes None (``cp_als`` solves for it; TensorLy never reads it either when
it is the first updated mode); ``tnverify.errors.InputError`` is raised as ``ValueError``, as
TensorLy does; results come back as ``CPTensor`` / ``TuckerTensor`` / lists of cores. ``svd``,
``verbose`` and ``random_state`` of ``tensor_train`` (TensorLy's SVD back-end choice, printing)
are accepted and ignored; ``l2_reg`` and ``cvg_criterion`` are passed on (``l2_reg > 0``
penalises tnverify's scaling of the factors, see ``cp_als``; no TensorLy test uses it); with a
``mask``, ``missing_start="given"`` gives TensorLy's convention that the values at the missing
entries are the first guess there (``cp_als`` ignores them by default).

Out of scope, skipped with the reason:

* every ``complex=True`` item of ``test_parafac`` and ``test_tensor_train`` (64 + 2): the
  numeric tier is real;
* ``test_fixed_modes_not_rescaled_by_init_weights`` for ``non_negative_parafac`` and
  ``non_negative_parafac_hals``: TensorLy-only functions, not mapped.

Not collected at all (they test TensorLy-only functions: randomised / non-negative CP,
``initialize_cp``, ``sample_khatri_rao``, ``partial_tucker``, ``initialize_tucker``,
non-negative Tucker, ``tensor_train_matrix``): the other test functions of the three modules.
The heavy ``test_parafac`` grid is marked slow.
"""
from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

tl = pytest.importorskip("tensorly")

from tensorly.cp_tensor import CPTensor  # noqa: E402
from tensorly.decomposition import _cp, _tt, _tucker  # noqa: E402
from tensorly.tucker_tensor import TuckerTensor  # noqa: E402

from tnverify import numeric  # noqa: E402
from tnverify.errors import InputError  # noqa: E402


def _seed(random_state):
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    return random_state


@contextlib.contextmanager
def _value_errors():
    """TensorLy raises ValueError for bad arguments; tnverify raises InputError (not a ValueError)."""
    try:
        yield
    except InputError as e:
        raise ValueError(str(e)) from e


def _cp_start(init, shape, rank):
    if isinstance(init, str):
        return init
    w, F = CPTensor(init)
    F = [None if f is None or np.shape(f) != (shape[n], rank) else np.asarray(f) for n, f in enumerate(F)]
    return (None if w is None else np.asarray(w), F)


def parafac(tensor, rank, n_iter_max=100, init="svd", svd="truncated_svd", normalize_factors=False,
            orthogonalise=False, tol=1e-8, random_state=None, verbose=0, return_errors=False, sparsity=None,
            l2_reg=0, mask=None, cvg_criterion="abs_rec_error", fixed_modes=None, svd_mask_repeats=5,
            linesearch=False, callback=None):
    """TensorLy's ``parafac`` signature on :func:`tnverify.numeric.cp_als`."""
    X = tl.to_numpy(tensor)
    cb = None
    if callback is not None:
        def cb(res, err):
            cp = CPTensor((res.weights, res.factors))
            return callback((cp, res.sparse_component) if sparsity else cp, err)
    with _value_errors():
        res = numeric.cp_als(X, rank, n_iter_max=n_iter_max, tol=tol, init=_cp_start(init, X.shape, rank),
                             seed=_seed(random_state), linesearch=linesearch, fixed_modes=fixed_modes,
                             mask=None if mask is None else tl.to_numpy(mask), callback=cb,
                             orthogonalise=orthogonalise, sparsity=sparsity, normalize_factors=normalize_factors,
                             svd_mask_repeats=svd_mask_repeats, l2_reg=l2_reg, cvg_criterion=cvg_criterion,
                             missing_start="given")
    out = CPTensor((res.weights, res.factors))
    if sparsity:
        out = (out, res.sparse_component)
    return (out, res.errors) if return_errors else out


def tensor_train(input_tensor, rank, svd="truncated_svd", verbose=False, random_state=None):
    """TensorLy's ``tensor_train`` signature on :func:`tnverify.numeric.tt_svd`."""
    from tensorly.tt_tensor import TTTensor

    with _value_errors():
        return TTTensor(numeric.tt_svd(tl.to_numpy(input_tensor), rank)[0])


def tucker(tensor, rank, fixed_factors=None, n_iter_max=100, init="svd", return_errors=False, svd="truncated_svd",
           tol=10e-5, random_state=None, mask=None, verbose=False):
    """TensorLy's ``tucker`` signature on :func:`tnverify.numeric.tucker_hooi`."""
    if isinstance(init, TuckerTensor):
        init = (init.core, init.factors)
    with _value_errors():
        res = numeric.tucker_hooi(tl.to_numpy(tensor), rank, fixed_factors=fixed_factors,
                                  mask=None if mask is None else tl.to_numpy(mask), init=init,
                                  seed=_seed(random_state), n_iter_max=n_iter_max, tol=tol)
    out = TuckerTensor((res.core, res.factors))
    return (out, res.errors) if return_errors else out


ADAPTERS = {_cp: parafac, _tt: tensor_train, _tucker: tucker}
for _module, _fn in ADAPTERS.items():
    _fn.__module__, _fn.__name__, _fn.__qualname__ = _module.__name__, _fn.__name__, _fn.__name__


def _load_with_adapters(name: str):
    """A fresh copy of TensorLy's test module ``name``, loaded while the adapters stand in."""
    path = Path(_cp.__file__).parent / "tests" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"tensorly.decomposition.tests._via_tnverify_{name}", path)
    module = importlib.util.module_from_spec(spec)
    saved = {m: getattr(m, fn.__name__) for m, fn in ADAPTERS.items()}
    try:
        for m, fn in ADAPTERS.items():
            setattr(m, fn.__name__, fn)
        spec.loader.exec_module(module)
    finally:
        for m, original in saved.items():
            setattr(m, ADAPTERS[m].__name__, original)
    return module


_test_cp = _load_with_adapters("test_cp")
_test_tt = _load_with_adapters("test_tt_decomposition")
_test_tucker = _load_with_adapters("test_tucker")

test_parafac = pytest.mark.slow(_test_cp.test_parafac)
test_masked_parafac = _test_cp.test_masked_parafac
test_parafac_linesearch = _test_cp.test_parafac_linesearch
test_parafac_does_not_modify_init = _test_cp.test_parafac_does_not_modify_init
test_fixed_modes_not_rescaled_by_init_weights = _test_cp.test_fixed_modes_not_rescaled_by_init_weights
test_tensor_train = _test_tt.test_tensor_train
test_tucker = _test_tucker.test_tucker
test_masked_tucker = _test_tucker.test_masked_tucker
test_tucker_runs_with_factors_only_init = _test_tucker.test_tucker_runs_with_factors_only_init


@pytest.fixture(autouse=True)
def _out_of_scope(request):
    """Skip the items listed as out of scope in the module docstring."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    if params.get("complex"):
        pytest.skip("complex-valued: the numeric tier is real")
    func = params.get("func")
    if func is not None and func is not parafac:
        pytest.skip(f"tests TensorLy's {func.__name__}, which the adapter does not map")


def test_the_adapters_stand_in_for_tensorly():
    """The loaded test code calls the adapters, and TensorLy's own names are back afterwards."""
    assert _test_cp.parafac is parafac and _test_tt.tensor_train is tensor_train and _test_tucker.tucker is tucker
    assert _cp.parafac is not parafac and _tt.tensor_train is not tensor_train and _tucker.tucker is not tucker
