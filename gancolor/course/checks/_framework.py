"""What every exercise check shares: the failure type, the ``expect_*`` helpers, ``@exercise``.

A check is a function of the student's code, decorated with :func:`exercise`::

    @exercise("1.1", "discriminator loss", hint="Use F.binary_cross_entropy_with_logits.")
    def discriminator_loss(student_fn: Callable[..., torch.Tensor]) -> None:
        real, fake = torch.randn(8), torch.randn(8)
        expect_close(student_fn(real, fake), reference(real, fake), "the loss on random logits")

and is called in the notebook as ``checks.discriminator_loss(discriminator_loss)``. Then:

- on success it prints exactly one line, ``✅ Exercise 1.1 (discriminator loss): all checks
  passed.``, and returns ``None`` (a stable output for nbval);
- a ``NotImplementedError`` (the unfinished stub) propagates unchanged;
- an :class:`ExerciseFailed` from an ``expect_*`` helper gets the exercise id and title in
  front of its message, and the decorator's ``hint`` if it had none;
- any other exception raised inside the student's code becomes ``ExerciseFailed("your code
  raised <Type>: <message>")`` chained to the original, so the student sees both. An
  exception raised only by the check's own code is a bug in the check: it propagates as is.

Checks run with Python, NumPy and torch seeded (``seed``) and put the global random state
back afterwards, so a check gives the same verdict every time and never changes what the
rest of the notebook computes. Checks validate what the student returned with the helpers
(``expect_tensor`` ...) before using it, and each runs in well under a second on a CPU.
"""

from __future__ import annotations

import contextlib
import functools
import random
import re
import site
import sysconfig
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
import torch

__all__ = [
    "ExerciseFailed",
    "exercise",
    "expect_tensor",
    "expect_shape",
    "expect_close",
    "expect_finite",
    "expect_true",
    "expect_scalar",
    "passed_line",
    "describe",
    "show_number",
    "seeded",
    "Mistake",
    "tensors_close",
    "first_mistake",
    "diagnose",
    "gradients",
    "gradients_close",
    "all_zero",
]

Check = TypeVar("Check", bound=Callable[..., None])

_EXERCISE_ID = re.compile(r"^\d+\.\d+[a-z]?$")


class ExerciseFailed(AssertionError):
    """A check found the student's code wrong; ``str()`` says what, expected vs got, and a hint.

    ``problem`` is one sentence ("the loss for perfect predictions is not close to 0");
    ``expected`` and ``got`` are short descriptions of values; ``hint`` suggests a fix. The
    :func:`exercise` decorator fills in ``exercise_id`` and ``title``.
    """

    def __init__(self, problem: str, *, expected: object = None, got: object = None,
                 hint: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.expected = None if expected is None else str(expected)
        self.got = None if got is None else str(got)
        self.hint = hint
        self.exercise_id: str | None = None
        self.title: str | None = None

    def __str__(self) -> str:
        head = self.problem
        if self.exercise_id is not None:
            head = f"Exercise {self.exercise_id} ({self.title}): {self.problem}"
        lines = [head]
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.got is not None:
            lines.append(f"  got:      {self.got}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Describing values for messages
# --------------------------------------------------------------------------------------


def _number(x: float) -> str:
    return f"{x:.4g}"


def describe(value: object, max_items: int = 6) -> str:
    """A short, readable description of a value for a failure message."""
    if isinstance(value, torch.Tensor):
        shape = "(" + ", ".join(str(s) for s in value.shape) + ")"
        dtype = str(value.dtype).removeprefix("torch.")
        if value.numel() == 1:
            return f"{_number(float(value.detach().reshape(-1)[0]))} (tensor of shape {shape}, {dtype})"
        flat = value.detach().reshape(-1)[:max_items].cpu()
        numbers = ", ".join(_number(float(v)) for v in flat)
        more = ", ..." if value.numel() > max_items else ""
        return f"tensor of shape {shape}, {dtype}: [{numbers}{more}]"
    if isinstance(value, np.ndarray):
        return describe(torch.from_numpy(np.ascontiguousarray(value)), max_items)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, np.number)):
        return _number(float(value))
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def show_number(value: torch.Tensor | float) -> str:
    """One number (a one-element tensor or a float) to 4 significant digits, for a message."""
    return _number(float(value.detach() if isinstance(value, torch.Tensor) else value))


# A planted mistake: (what the mistaken code computes, the problem in one sentence, a hint).
Mistake = tuple[Callable[[], Any], str, str]


def tensors_close(a: torch.Tensor, b: torch.Tensor, *, atol: float = 1e-5, rtol: float = 1e-4,
                  equal_nan: bool = False) -> bool:
    """True when ``a`` and ``b`` have the same shape and agree within tolerance (compared in float64)."""
    a64, b64 = a.detach().cpu().double(), b.detach().cpu().double()
    return a64.shape == b64.shape and bool(
        torch.allclose(a64, b64, atol=atol, rtol=rtol, equal_nan=equal_nan))


def first_mistake(got: Any, mistakes: Sequence[Mistake], close: Callable[[Any, Any], bool] = tensors_close
                  ) -> tuple[str, str] | None:
    """The (problem, hint) of the first planted mistake whose result ``got`` reproduces, if any.

    Each mistake's value is computed without gradients and with NumPy warnings silenced (a
    mistaken formula may well divide by zero).
    """
    for compute, problem, hint in mistakes:
        with torch.no_grad(), np.errstate(all="ignore"):
            value = compute()
        if close(got, value):
            return problem, hint
    return None


def diagnose(got: torch.Tensor, expected: torch.Tensor, mistakes: Sequence[Mistake], *,
             close: Callable[[Any, Any], bool] = tensors_close,
             show: Callable[[Any], str] = describe) -> None:
    """Raise the :class:`ExerciseFailed` of the first planted mistake that ``got`` reproduces, if any.

    The message names the mistake; ``show`` formats the expected and the student's values.
    """
    __tracebackhide__ = True
    match = first_mistake(got, mistakes, close)
    if match is not None:
        problem, hint = match
        raise ExerciseFailed(problem, expected=show(expected), got=show(got), hint=hint)


def gradients(params: Iterable[torch.Tensor]) -> list[torch.Tensor]:
    """A copy of each parameter's gradient, zeros for one that has none."""
    return [torch.zeros_like(p) if p.grad is None else p.grad.detach().clone() for p in params]


def gradients_close(got: Sequence[torch.Tensor], expected: Sequence[torch.Tensor], *,
                    atol: float = 1e-6) -> bool:
    """True when two lists of gradients (:func:`gradients`) agree, tensor by tensor."""
    return all(tensors_close(g, e, atol=atol) for g, e in zip(got, expected, strict=True))


def all_zero(grads: Iterable[torch.Tensor]) -> bool:
    """True when every gradient is zero everywhere (none reached the parameters)."""
    return all(not bool(g.abs().max() > 0) for g in grads)


def _shape_text(shape: Sequence[int | None]) -> str:
    """``(3,)``, ``(8, any, 32)``: Python's tuple notation, ``any`` for a free size."""
    items = ["any" if s is None else str(s) for s in shape]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


# --------------------------------------------------------------------------------------
# expect_* helpers: each raises ExerciseFailed with a message a student understands
# --------------------------------------------------------------------------------------


def expect_tensor(got: object, what: str, *, dtype: torch.dtype | None = None,
                  hint: str | None = None) -> torch.Tensor:
    """``got`` if it is a tensor (of ``dtype``, if given); else :class:`ExerciseFailed`."""
    __tracebackhide__ = True
    if not isinstance(got, torch.Tensor):
        raise ExerciseFailed(f"{what} should be a torch.Tensor", expected="a torch.Tensor",
                             got=f"{type(got).__name__}: {describe(got)}", hint=hint)
    if dtype is not None and got.dtype != dtype:
        raise ExerciseFailed(f"{what} has the wrong dtype", expected=dtype, got=got.dtype, hint=hint)
    return got


def expect_shape(got: object, shape: Sequence[int | None], what: str, *,
                 hint: str | None = None) -> torch.Tensor:
    """``got`` if it is a tensor of ``shape`` (``None`` matches any size); returns it."""
    __tracebackhide__ = True
    tensor = expect_tensor(got, what, hint=hint)
    ok = tensor.dim() == len(shape) and all(
        s is None or s == t for s, t in zip(shape, tensor.shape, strict=False))
    if not ok:
        raise ExerciseFailed(f"{what} has the wrong shape", expected=_shape_text(shape),
                             got=_shape_text(tuple(tensor.shape)), hint=hint)
    return tensor


def expect_finite(got: object, what: str, *, hint: str | None = None) -> torch.Tensor:
    """``got`` if it is a tensor without NaN or inf; returns it."""
    __tracebackhide__ = True
    tensor = expect_tensor(got, what, hint=hint)
    bad = ~torch.isfinite(tensor.detach())
    if bool(bad.any()):
        count = int(bad.sum())
        raise ExerciseFailed(f"{what} contains NaN or inf ({count} of {tensor.numel()} values)",
                             got=describe(tensor), hint=hint)
    return tensor


#: What to do when a loss is not a tensor at all (e.g. a float from ``.item()``).
LOSS_TENSOR_HINT = ("build the loss with torch operations and return the tensor, not a Python number "
                    "(.item() cuts the graph)")


def expect_scalar(got: object, what: str, *, hint: str, tensor_hint: str = LOSS_TENSOR_HINT) -> torch.Tensor:
    """``got`` if it is a finite 0-dim tensor (a loss), else a failure that says how to get one.

    ``tensor_hint`` is the hint when ``got`` is no tensor; ``hint`` when it is not 0-dim.
    """
    __tracebackhide__ = True
    tensor = expect_tensor(got, what, hint=tensor_hint)
    expect_true(tensor.dim() == 0, f"{what} should be a single number (a 0-dim tensor)",
                expected="a tensor of shape ()", got=f"a tensor of shape {tuple(tensor.shape)}", hint=hint)
    return expect_finite(tensor, what)


def _as_tensor(value: object, what: str, hint: str | None) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().to(torch.float64)
    if isinstance(value, (bool, int, float, np.number, np.ndarray, list, tuple)):
        try:
            return torch.as_tensor(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            pass
    raise ExerciseFailed(f"{what} should be a tensor or a number", got=f"{type(value).__name__}: "
                         f"{describe(value)}", hint=hint)


def expect_close(got: object, expected: object, what: str, *, hint: str | None = None,
                 atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """Check ``|got - expected| <= atol + rtol * |expected|`` elementwise (shapes must match).

    ``got`` and ``expected`` are tensors, arrays or numbers; they are compared in float64 on
    the CPU. NaN matches only NaN. The message shows the worst element.
    """
    __tracebackhide__ = True
    if isinstance(expected, torch.Tensor) and not isinstance(got, (torch.Tensor, np.ndarray)):
        got = expect_tensor(got, what, hint=hint)
    g = _as_tensor(got, what, hint)
    e = _as_tensor(expected, "the expected value", None)
    if g.shape != e.shape:
        raise ExerciseFailed(f"{what} has the wrong shape", expected=_shape_text(tuple(e.shape)),
                             got=_shape_text(tuple(g.shape)), hint=hint)
    close = torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return
    if bool((torch.isnan(g) & ~torch.isnan(e)).any()) or bool((torch.isinf(g) & ~torch.isinf(e)).any()):
        raise ExerciseFailed(f"{what} contains NaN or inf where a finite value is expected",
                             expected=describe(expected), got=describe(got), hint=hint)
    if g.dim() == 0:
        raise ExerciseFailed(f"{what} is not close to the expected value", expected=_number(float(e)),
                             got=_number(float(g)), hint=hint)
    diff = torch.where(close, torch.zeros_like(g), (g - e).abs().nan_to_num(nan=float("inf")))
    worst = int(diff.reshape(-1).argmax())
    index = tuple(int(i) for i in np.unravel_index(worst, tuple(g.shape)))
    wrong = int((~close).sum())
    raise ExerciseFailed(
        f"{what} is not close to the expected value at {wrong} of {g.numel()} positions; "
        f"the worst is at index {index}",
        expected=_number(float(e[index])), got=_number(float(g[index])), hint=hint,
    )


def expect_true(condition: object, problem: str, *, expected: object = None, got: object = None,
                hint: str | None = None) -> None:
    """Raise :class:`ExerciseFailed` with ``problem`` unless ``condition`` is true."""
    __tracebackhide__ = True
    if not bool(condition):
        raise ExerciseFailed(problem, expected=expected, got=got, hint=hint)


# --------------------------------------------------------------------------------------
# The decorator
# --------------------------------------------------------------------------------------


def _library_dirs() -> tuple[str, ...]:
    """Folders whose code is not the student's: this package, the stdlib, site-packages."""
    dirs = {str(Path(__file__).resolve().parents[2])}  # the gancolor package
    paths = sysconfig.get_paths()
    dirs.update(paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths)
    with contextlib.suppress(AttributeError):
        dirs.update(site.getsitepackages())
    with contextlib.suppress(AttributeError):
        dirs.add(site.getusersitepackages())
    return tuple(str(Path(d).resolve()) + "/" for d in dirs if d)


_LIBRARY_DIRS = _library_dirs()


def _is_student_file(filename: str) -> bool:
    """Code in a notebook cell, a test or a student's own module (not a library, not generated)."""
    if filename.startswith("<"):  # "<frozen ...>" is the stdlib; the others are typed-in code
        return filename.startswith(("<ipython-input", "<stdin>", "<string>"))
    if "/site-packages/" in filename or "/dist-packages/" in filename:
        return False
    if not Path(filename).is_absolute():  # compiled extensions report "numpy/random/_generator.pyx"
        return False
    try:
        resolved = str(Path(filename).resolve())
    except OSError:
        resolved = filename
    return not resolved.startswith(_LIBRARY_DIRS)


def _raised_in_student_code(traceback: TracebackType | None) -> bool:
    while traceback is not None:
        if _is_student_file(traceback.tb_frame.f_code.co_filename):
            return True
        traceback = traceback.tb_next
    return False


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed Python, NumPy and torch (CPU and CUDA) inside; restore their states after."""
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    # CUDA is seeded (and restored) only if already in use: seeding it otherwise would
    # queue a seed for its later initialisation and so change the rest of the notebook.
    cuda = torch.cuda.is_initialized()
    devices = list(range(torch.cuda.device_count())) if cuda else []
    try:
        with torch.random.fork_rng(devices=devices):
            random.seed(seed)
            np.random.seed(seed)
            torch.default_generator.manual_seed(seed)
            if cuda:
                torch.cuda.manual_seed_all(seed)
            yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def passed_line(exercise_id: str, title: str) -> str:
    """The line a passing check prints."""
    return f"✅ Exercise {exercise_id} ({title}): all checks passed."


def exercise(exercise_id: str, title: str, *, hint: str | None = None,
             seed: int = 0) -> Callable[[Check], Check]:
    """Make ``check(student_code, ...)`` an exercise check (see the module docstring).

    ``exercise_id`` is ``"<notebook>.<n>"`` as in the solution markup; ``title`` a few words;
    ``hint`` the default hint for failures that carry none; ``seed`` seeds the check. The
    decorated function has attributes ``exercise_id`` and ``title``.
    """
    if not _EXERCISE_ID.match(exercise_id):
        raise ValueError(f"exercise id {exercise_id!r} is not of the form '1.2'")

    def decorate(check: Check) -> Check:
        @functools.wraps(check)
        def run(*args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True
            try:
                with seeded(seed):
                    check(*args, **kwargs)
            except NotImplementedError:
                raise
            except ExerciseFailed as failure:
                failure.exercise_id, failure.title = exercise_id, title
                if failure.hint is None:
                    failure.hint = hint
                raise
            except Exception as error:
                if not _raised_in_student_code(error.__traceback__):
                    raise
                message = str(error).strip().splitlines()
                first = message[0] if message else ""
                failure = ExerciseFailed(f"your code raised {type(error).__name__}: {first}", hint=hint)
                failure.exercise_id, failure.title = exercise_id, title
                raise failure from error
            print(passed_line(exercise_id, title))

        run.exercise_id = exercise_id  # type: ignore[attr-defined]
        run.title = title  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate
