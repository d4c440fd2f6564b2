"""The machinery of the automatic checks: verdicts, comparisons, known mistakes, strict mode.

Every ``check_<name>`` of :mod:`decondl.exercises` is built from three pieces defined here:

* :class:`Verdict`: what a check returns. Truthy when the answer is right; shown as a
  green, red or grey line in a notebook; never an exception for a wrong answer.
* :func:`check_value` and :func:`check_function`: compare an answer (a number, an array, or
  a function the student wrote, run on cases the student does not see) with the course
  package's reference, in a fixed order: not answered yet -> type -> exact shape -> finite ->
  value within tolerance -> a targeted hint when the answer matches a known :class:`Mistake`.
  :func:`check_property` checks an answer that has no single right value (a trained network)
  by a property measured on it.
* Strict mode (:func:`strict_mode`): the book build sets ``DECONDL_EXERCISES_STRICT=1``, and
  then a failing check raises :class:`ExerciseCheckError`, so the build fails when a reference
  solution does not pass its own check. An answer that is not given yet never raises.
"""

from __future__ import annotations

import html
import numbers
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from decondl._checks import as_choice, as_float_array

__all__ = [
    "STRICT_VAR",
    "ExerciseCheckError",
    "Mistake",
    "Verdict",
    "check_function",
    "check_property",
    "check_value",
    "is_unanswered",
    "strict_mode",
]

#: Environment variable that turns strict mode on (``"1"``); the book build sets it.
STRICT_VAR = "DECONDL_EXERCISES_STRICT"

_STATUSES = ("pass", "fail", "unanswered")
_STYLE = {
    # (symbol, label, text colour, background): colours meet WCAG AA contrast on their background.
    "pass": ("\u2714", "Correct.", "#0f5323", "#e6f4ea"),
    "fail": ("\u2718", "Not yet.", "#8c1d18", "#fce8e6"),
    "unanswered": ("\u2026", "Not answered yet.", "#3c4043", "#f1f3f4"),
}


class ExerciseCheckError(AssertionError):
    """Raised by a failing check in strict mode (the book build), never otherwise."""


def strict_mode() -> bool:
    """Return True when failing checks must raise (``DECONDL_EXERCISES_STRICT=1``)."""
    return os.environ.get(STRICT_VAR, "") == "1"


class Verdict:
    """The result of an automatic check.

    Parameters
    ----------
    check : str
        Name of the check (``"check_psnr_raw"``).
    status : {"pass", "fail", "unanswered"}
        The outcome. Only ``"pass"`` is truthy.
    message : str
        One or two sentences for the student.
    hint : str, optional
        A targeted hint, given when a wrong answer matches a known mistake.

    Examples
    --------
    >>> v = Verdict("check_demo", "fail", "Expected 3, got 4.", hint="Count from zero.")
    >>> bool(v)
    False
    >>> print(v)
    check_demo: Not yet. Expected 3, got 4. Hint: Count from zero.
    """

    __slots__ = ("check", "hint", "message", "status")

    def __init__(self, check: str, status: str, message: str, hint: str | None = None):
        self.check = check
        self.status = as_choice(status, "status", _STATUSES)
        self.message = message
        self.hint = hint

    @property
    def passed(self) -> bool:
        """True when the answer is right."""
        return self.status == "pass"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        _, label, _, _ = _STYLE[self.status]
        text = f"{self.check}: {label} {self.message}".rstrip()
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    def __repr__(self) -> str:
        return f"<Verdict {self.status}: {self}>"

    def _repr_html_(self) -> str:
        symbol, label, colour, background = _STYLE[self.status]
        hint = f"<br><strong>Hint:</strong> {html.escape(self.hint)}" if self.hint else ""
        return (
            f'<div class="decondl-verdict" data-check="{html.escape(self.check)}" '
            f'data-status="{self.status}" role="status" style="color:{colour};'
            f"background:{background};border-left:4px solid {colour};padding:0.4em 0.8em;"
            f'margin:0.3em 0;font-family:sans-serif">'
            f'<span aria-hidden="true">{symbol}</span> <strong>{label}</strong> '
            f"{html.escape(self.message)}{hint}</div>"
        )


@dataclass(frozen=True)
class Mistake:
    """A wrong answer students are known to give, and the hint that explains it.

    Parameters
    ----------
    hint : str
        What went wrong and how to fix it, in one or two sentences.
    value : object, optional
        For :func:`check_value`: the wrong answer this mistake produces.
    function : callable, optional
        For :func:`check_function`: a function making the mistake; it is called with each
        hidden case's arguments and its output is compared with the student's.
    """

    hint: str
    value: Any = None
    function: Callable | None = None


def is_unanswered(answer) -> bool:
    """Return True for the placeholders of an exercise not done yet (``...`` or ``None``)."""
    return answer is ... or answer is None


def given_truth_and_raw(truth, raw) -> tuple[np.ndarray, np.ndarray]:
    """Return the ground truth and its acquisition that a page gives a check, as float64 arrays.

    They come from the exercise page, not from the student: a bad pair is a problem of the
    page, so it raises instead of returning a verdict.

    Parameters
    ----------
    truth, raw : array_like, shape (ny, nx) or (nz, ny, nx)
        The ground truth and the acquisition simulated from it.

    Returns
    -------
    truth, raw : ndarray of float64

    Raises
    ------
    TypeError, ValueError
        If either is not a real, finite 2D or 3D array, or their shapes differ.
    """
    truth = as_float_array(truth, "truth", dtype=np.float64)
    raw = as_float_array(raw, "raw", dtype=np.float64)
    if truth.shape != raw.shape:
        raise ValueError(f"truth and raw must have the same shape, got {truth.shape}, {raw.shape}")
    return truth, raw


def _finish(verdict: Verdict) -> Verdict:
    if strict_mode() and verdict.status == "fail":
        raise ExerciseCheckError(str(verdict))
    return verdict


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{value!r} ({type(value).__name__})"


def _as_answer(answer, expected) -> tuple[np.ndarray | None, str | None]:
    """Return the answer as an array of the expected kind, or ``(None, reason)``."""
    expect_scalar = np.ndim(expected) == 0
    if isinstance(answer, bool | np.bool_ | str | bytes) or answer is None:
        kind = "a number" if expect_scalar else "a NumPy array"
        return None, f"expected {kind}, got {_describe(answer)}"
    if expect_scalar:
        if isinstance(answer, numbers.Number) or (
            isinstance(answer, np.ndarray | np.generic) and np.ndim(answer) == 0
        ):
            if isinstance(answer, complex | np.complexfloating) and not np.iscomplexobj(expected):
                return None, f"expected a real number, got {_describe(answer)}"
            return np.asarray(answer), None
        return None, f"expected a single number, got {_describe(answer)}"
    if isinstance(answer, np.ndarray):
        arr = answer
    elif isinstance(answer, list | tuple):
        try:
            arr = np.asarray(answer, dtype=float)
        except (TypeError, ValueError):
            return None, f"expected a NumPy array, got a {type(answer).__name__} of non-numbers"
    elif hasattr(answer, "numpy"):  # a TensorFlow tensor
        arr = np.asarray(answer.numpy())
    else:
        return None, f"expected a NumPy array, got {_describe(answer)}"
    if arr.dtype.kind not in "biufc":
        return None, f"expected a numeric array, got dtype {arr.dtype}"
    if np.iscomplexobj(arr) and not np.iscomplexobj(expected):
        return None, "expected a real array, got a complex one (take the real part at the end?)"
    return arr, None


def _close(answer: np.ndarray, expected, rtol: float, atol: float) -> bool:
    expected = np.asarray(expected)
    if answer.shape != expected.shape:
        return False
    return bool(np.allclose(answer, expected, rtol=rtol, atol=atol, equal_nan=False))


def _compare(answer, expected, *, rtol: float, atol: float) -> tuple[bool, str]:
    """Compare in order type -> exact shape -> finite -> value; return (ok, message)."""
    arr, reason = _as_answer(answer, expected)
    if arr is None:
        return False, reason[0].upper() + reason[1:] + "."
    expected = np.asarray(expected)
    if arr.shape != expected.shape:
        return False, (
            f"The shape is {arr.shape} but should be {expected.shape} "
            "(shapes must match exactly; no broadcasting)."
        )
    if not np.all(np.isfinite(arr)):
        return False, "The answer contains NaN or infinite values."
    if not _close(arr, expected, rtol, atol):
        if expected.ndim == 0:
            return False, f"{arr.item():.6g} is not the expected value."
        err = float(np.max(np.abs(arr - expected)))
        return False, f"The values differ from the expected ones (largest difference {err:.3g})."
    return True, ""


def _tolerance_text(rtol: float, atol: float) -> str:
    parts = []
    if rtol:
        parts.append(f"relative {rtol:g}")
    if atol:
        parts.append(f"absolute {atol:g}")
    return "within a tolerance of " + " and ".join(parts) if parts else "exactly"


def check_value(
    check: str,
    answer,
    expected,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    mistakes: Sequence[Mistake] = (),
    success: str = "",
) -> Verdict:
    """Check a number or an array against the expected one.

    Parameters
    ----------
    check : str
        Name of the calling check (shown to the student).
    answer : number or ndarray
        The student's answer; ``...`` or ``None`` means "not answered yet".
    expected : number or ndarray
        The right answer, computed by the course package.
    rtol, atol : float
        Relative and absolute tolerance of :func:`numpy.allclose`.
    mistakes : sequence of Mistake
        Known wrong answers (``Mistake.value``); a wrong answer close to one of them gets its hint.
    success : str
        Extra sentence shown when the answer is right.

    Returns
    -------
    Verdict
        Never raises for a wrong answer, except in strict mode (:class:`ExerciseCheckError`).
    """
    if is_unanswered(answer):
        return Verdict(check, "unanswered", "Replace the ... with your answer and run the cell.")
    ok, message = _compare(answer, expected, rtol=rtol, atol=atol)
    if ok:
        text = f"Right, {_tolerance_text(rtol, atol)}. {success}".strip()
        return _finish(Verdict(check, "pass", text))
    wrong_answers = [(m.value, m.hint) for m in mistakes]
    hint = _matching_hint(answer, expected, wrong_answers, rtol, atol)
    return _finish(Verdict(check, "fail", message, hint))


def _matching_hint(answer, expected, wrong_answers, rtol, atol) -> str | None:
    """Return the hint of the first known wrong answer that ``answer`` matches, if any."""
    arr, _ = _as_answer(answer, expected)
    if arr is None or not np.all(np.isfinite(arr)):
        return None
    for wrong, hint in wrong_answers:
        if wrong is not None and _close(arr, wrong, rtol, atol):
            return hint
    return None


def check_function(
    check: str,
    func,
    reference: Callable,
    cases: Sequence[tuple],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    mistakes: Sequence[Mistake] = (),
    shape_mistakes: Sequence[tuple[Callable[[tuple], tuple], str]] = (),
    success: str = "",
) -> Verdict:
    """Run a function the student wrote on hidden cases and compare with the reference.

    Parameters
    ----------
    check : str
        Name of the calling check.
    func : callable
        The student's function; ``...`` or ``None`` (or a function that returns ``None``,
        such as one whose body is still ``...``) means "not answered yet".
    reference : callable
        The course package's implementation, called with the same arguments.
    cases : sequence of tuple
        Positional arguments of each hidden case (copied before each call, so a function
        that modifies its input cannot spoil the comparison).
    rtol, atol : float
        Tolerance of :func:`numpy.allclose` on each output.
    mistakes : sequence of Mistake
        Known mistakes (``Mistake.function``): when the student's output on a failing case
        matches the mistaken function's output, its hint is given.
    shape_mistakes : sequence of (callable, str)
        ``(shape_of(case) -> shape, hint)``: a wrong output shape equal to ``shape_of(case)``
        gets the hint (e.g. a 'same'-size output where 'valid' was asked for).
    success : str
        Extra sentence shown when every case passes.

    Returns
    -------
    Verdict
        A failing case is described by the shapes of its inputs; the error of a function that
        raises is reported, not re-raised (except in strict mode).
    """
    if is_unanswered(func):
        return Verdict(check, "unanswered", "Write the function, then run this cell again.")
    if not callable(func):
        return _finish(Verdict(check, "fail", f"Expected a function, got {_describe(func)}."))
    for number, case in enumerate(cases, start=1):
        expected = reference(*_copy(case))
        where = f"On hidden case {number} of {len(cases)} ({_case_text(case)}): "
        try:
            got = func(*_copy(case))
        except Exception as error:  # the student's code failed: report it, do not raise
            message = f"{where}your function raised {type(error).__name__}: {error}"
            return _finish(Verdict(check, "fail", message))
        if got is None:
            if number == 1:
                return Verdict(check, "unanswered", "Your function returns None: finish it first.")
            return _finish(Verdict(check, "fail", where + "your function returned None."))
        ok, message = _compare(got, expected, rtol=rtol, atol=atol)
        if ok:
            continue
        hint = None
        arr, _ = _as_answer(got, expected)
        if arr is not None and arr.shape != np.shape(expected):
            hint = next((h for shape_of, h in shape_mistakes if arr.shape == shape_of(case)), None)
        if hint is None:
            wrong_answers = [(m.function(*_copy(case)), m.hint) for m in mistakes if m.function]
            hint = _matching_hint(got, expected, wrong_answers, rtol, atol)
        return _finish(Verdict(check, "fail", where + message[0].lower() + message[1:], hint))
    text = f"Right on all {len(cases)} hidden cases, {_tolerance_text(rtol, atol)}. {success}"
    return _finish(Verdict(check, "pass", text.strip()))


def check_property(
    check: str,
    answer,
    measure: Callable[[Any], tuple[bool, str, str | None]],
    *,
    success: str = "",
) -> Verdict:
    """Check a property of an answer that has no single right value, such as a trained network.

    Parameters
    ----------
    check : str
        Name of the calling check.
    answer : object
        The student's answer (e.g. a Keras model); ``...`` or ``None`` means "not answered yet".
    measure : callable
        ``measure(answer) -> (passed, message, hint)``: measures the property (e.g. the PSNR
        gain of a model on a test set the check generates) and says, in ``message``, what
        was measured against what was required; ``hint`` (or ``None``) is shown on failure,
        e.g. when the measurements match a known mistake. An exception raised while
        measuring (a model that cannot be applied) is reported as a failure.
    success : str
        Extra sentence shown when the property holds.

    Returns
    -------
    Verdict
        Never raises for a wrong answer, except in strict mode (:class:`ExerciseCheckError`).
    """
    if is_unanswered(answer):
        return Verdict(check, "unanswered", "Replace the ... with your answer and run the cell.")
    try:
        passed, message, hint = measure(answer)
    except Exception as error:  # the student's answer could not be measured: report it
        message = f"Checking your answer raised {type(error).__name__}: {error}"
        return _finish(Verdict(check, "fail", message))
    if passed:
        return _finish(Verdict(check, "pass", f"{message} {success}".strip()))
    return _finish(Verdict(check, "fail", message, hint))


def _copy(case: tuple) -> tuple:
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in case)


def _case_text(case: tuple) -> str:
    parts = []
    for a in case:
        if isinstance(a, np.ndarray):
            parts.append(f"array {a.shape}")
        elif isinstance(a, numbers.Number):
            parts.append(f"{a:g}" if isinstance(a, float) else str(a))
        elif isinstance(a, list | tuple) and len(repr(a)) <= 80:
            parts.append(repr(a))  # a short list (e.g. of layers) says more than "list"
        else:
            parts.append(type(a).__name__)
    return ", ".join(parts)
