"""Demos that move in the published page, with no kernel: states precomputed at build time.

A slider made with ipywidgets needs a running Python kernel; in the static web page it is
frozen. So every demo of the book is a *pure function of its parameters* (it returns a
figure, and optionally the numbers to show next to it, e.g. a PSNR), and two front ends
call the same function:

* in a notebook (Colab, Jupyter), the ipywidgets version of :mod:`decondl.widgets` calls it
  whenever a control moves, for any value;
* in the book build, :func:`precompute` calls it once for every point of a grid of parameter
  values and returns a :class:`Demo`: a display object whose HTML holds the pictures (encoded
  once, WebP sized for the screen), the numbers, and one control per parameter (a range
  slider, or a drop-down for names). The site's script ``book/_static/decondl-demos.js``
  swaps the precomputed pictures when a control moves; without JavaScript (and in a notebook)
  the default state is shown as a plain picture (``image/png``).

:func:`live` chooses between the two: the precomputed demo in the book build
(``DECONDL_BOOK_BUILD=1``, see :func:`decondl.notebook.in_book_build`), the ipywidgets version
everywhere else. :func:`controls_grid` reads the grid and the default values off the
ipywidgets controls themselves, so that the page's first view is the widget's default.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from decondl._checks import as_callable, as_choice, as_int

__all__ = [
    "MAX_BYTES",
    "Demo",
    "Parameter",
    "controls_grid",
    "live",
    "precompute",
    "render",
    "sample",
]

#: Default budget of one demo's pictures, in bytes: the book allows 1.5 MB per demo in its
#: page's HTML, and base64 makes the pictures a third larger (the JSON takes the rest).
MAX_BYTES = 1_050_000

#: Lossy WebP qualities tried, best first, when the lossless pictures exceed the budget.
QUALITIES = (90, 80, 70, 60)

MODES = ("grid", "axes")
FORMATS = ("webp", "png")
_NOTE = "Precomputed when the page was built"
_serial = itertools.count()


# --------------------------------------------------------------------------- parameters


def _text(value, fmt: str = "") -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and not fmt:
        return f"{value:.3g}" if isinstance(value, float | np.floating) else str(value)
    return format(value, fmt)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a demo: its name, the values offered and how they read.

    Attributes
    ----------
    name : str
        Keyword of the demo's function.
    values : tuple
        Values offered, in the order of the control.
    default : object
        The value of the first view (one of ``values``).
    label : str
        What the control is called on the page (its accessible name).
    unit : str
        Unit appended to the values shown ("µm", "dB"); empty for none.
    fmt : str
        Format specification of the values (``".2g"``); empty: 3 significant digits for
        floats, ``str`` otherwise.
    """

    name: str
    values: tuple
    default: object
    label: str
    unit: str = ""
    fmt: str = ""

    @property
    def kind(self) -> str:
        """``"range"`` for numbers (a slider), ``"select"`` for anything else."""
        numeric = all(
            isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) for v in self.values
        )
        return "range" if numeric else "select"

    @property
    def texts(self) -> list[str]:
        """The values as the page shows them, with the unit."""
        unit = f" {self.unit}" if self.unit else ""
        return [_text(v, self.fmt) + unit for v in self.values]

    @property
    def default_index(self) -> int:
        """Position of ``default`` in ``values``."""
        return self.values.index(self.default)


def _parameters(grid, default, labels, units, formats) -> list[Parameter]:
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(
            f"grid must be a non-empty mapping of parameter name to values, got {grid!r:.80}"
        )
    if not isinstance(default, Mapping):
        raise TypeError(
            f"default must be a mapping of parameter name to value, got {default!r:.80}"
        )
    for extra, what in (
        (set(default) - set(grid), "default"),
        (set(labels) - set(grid), "labels"),
        (set(units) - set(grid), "units"),
        (set(formats) - set(grid), "formats"),
    ):
        if extra:
            raise ValueError(f"{what} names parameters that are not in the grid: {sorted(extra)}")
    parameters = []
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"parameter names must be identifiers, got {name!r}")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
            raise TypeError(f"grid[{name!r}] must be a sequence of values, got {values!r:.80}")
        values = tuple(v.item() if isinstance(v, np.generic) else v for v in values)
        if not values:
            raise ValueError(f"grid[{name!r}] is empty: give at least one value")
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"grid[{name!r}] repeats a value: {list(values)}")
        if name not in default:
            raise ValueError(f"default has no value for {name!r} (the first view needs one)")
        value = default[name]
        value = value.item() if isinstance(value, np.generic) else value
        if value not in values:
            raise ValueError(
                f"default {name}={value!r} is not in the grid {list(values)}: the first view "
                "must be a precomputed state"
            )
        parameters.append(
            Parameter(
                name,
                values,
                value,
                labels.get(name, name),
                units.get(name, ""),
                formats.get(name, ""),
            )
        )
    return parameters


def sample(values: Sequence, default, n: int) -> list:
    """Return at most ``n`` of ``values``, evenly spread, the ends and ``default`` included.

    Parameters
    ----------
    values : sequence
        Ordered values (e.g. every position of a slider).
    default : object
        A value that must be kept (the first view of a demo).
    n : int
        Largest number of values returned (>= 2, or 1 if ``values`` has one value).

    Returns
    -------
    list
        A sub-sequence of ``values`` in their order.

    Raises
    ------
    ValueError
        If ``default`` is not in ``values`` or ``values`` is empty.

    Examples
    --------
    >>> sample(range(11), 3, 5)
    [0, 3, 5, 8, 10]
    """
    values = list(values)
    if not values:
        raise ValueError("values is empty")
    if default not in values:
        raise ValueError(f"default {default!r} is not one of the values {values}")
    n = as_int(n, "n", low=1)
    if len(values) <= n:
        return values
    keep = set(np.linspace(0, len(values) - 1, max(n, 2)).round().astype(int).tolist())
    where = values.index(default)
    if where not in keep:  # the nearest inner sample moves onto the default
        inner = sorted(keep - {0, len(values) - 1}) or sorted(keep)
        keep.discard(min(inner, key=lambda i: abs(i - where)))
        keep.add(where)
    return [values[i] for i in sorted(keep)]


# --------------------------------------------------------------------------- pictures


def render(picture, width_px: int = 760) -> np.ndarray:
    """Return a figure or an image as an RGB array of the width shown on the page.

    Parameters
    ----------
    picture : matplotlib.figure.Figure or array_like, shape (ny, nx) or (ny, nx, 3 or 4)
        A figure (drawn at ``width_px`` pixels wide, then closed) or an image: greys or
        colours, floats in [0, 1] or ``uint8`` (kept at its own size); or a list of them,
        drawn one above the other.
    width_px : int
        Width of a drawn figure in pixels.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)

    Raises
    ------
    TypeError
        If ``picture`` is neither.

    Examples
    --------
    >>> render(np.zeros((4, 6))).shape
    (4, 6, 3)
    """
    from matplotlib.figure import Figure

    width_px = as_int(width_px, "width_px", low=16)
    if isinstance(picture, list) and all(isinstance(p, Figure | np.ndarray) for p in picture):
        parts = [render(part, width_px) for part in picture]  # one above the other
        wide = max(part.shape[1] for part in parts)
        pad = [((0, 0), (0, wide - p.shape[1]), (0, 0)) for p in parts]
        return np.concatenate(
            [np.pad(p, w, constant_values=255) for p, w in zip(parts, pad, strict=True)]
        )
    if isinstance(picture, Figure):
        from PIL import Image

        buffer = io.BytesIO()
        picture.savefig(
            buffer, format="png", dpi=width_px / picture.get_figwidth(), facecolor="white"
        )
        if getattr(picture.canvas, "manager", None) is not None:  # made with pyplot
            import matplotlib.pyplot as plt

            plt.close(picture)
        return np.asarray(Image.open(buffer).convert("RGB"))
    if not isinstance(picture, np.ndarray | list | tuple):
        raise TypeError(
            f"a demo's function must return a matplotlib Figure or an image array, got "
            f"{type(picture).__name__}"
        )
    image = np.asarray(picture)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.size == 0:
        raise TypeError(
            f"an image must have shape (ny, nx), (ny, nx, 3) or (ny, nx, 4), got {image.shape}"
        )
    if image.dtype != np.uint8:
        image = (np.clip(np.nan_to_num(image.astype(float)), 0, 1) * 255).round().astype(np.uint8)
    return np.ascontiguousarray(image[..., :3])


def _encode(rgb: np.ndarray, image_format: str, quality: int | None) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(rgb)
    if image_format == "png":
        image.save(buffer, "PNG", optimize=True)
    elif quality is None:
        image.save(buffer, "WEBP", lossless=True, method=4)
    else:
        image.save(buffer, "WEBP", quality=quality, method=4)
    return buffer.getvalue()


def _numbers(values) -> dict[str, str]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise TypeError(f"a demo's numbers must be a mapping of label to value, got {values!r:.80}")
    return {str(k): v if isinstance(v, str) else _text(v, ".4g") for k, v in values.items()}


# --------------------------------------------------------------------------- the demo


@dataclass
class Demo:
    """Precomputed states of a demo, shown with a JavaScript control in the web page.

    Made by :func:`precompute`; displayed by IPython as HTML (the page's control) with a PNG
    of the default state as the plain fallback.

    Attributes
    ----------
    parameters : list of Parameter
        The controls, in order.
    states : dict
        Tuple of parameter values (in the order of ``parameters``) to ``(picture, numbers)``:
        the index of the picture in ``pictures`` and the numbers shown as text.
    pictures : list of ndarray
        Distinct pictures (RGB ``uint8``), each stored once.
    encoded : list of bytes
        The pictures as the page loads them (``image/<image_format>``).
    alt : str
        Alternative text of the picture; the page appends the current settings.
    mode : {"grid", "axes"}
        Every combination, or one parameter at a time with the others at their defaults.
    """

    parameters: list[Parameter]
    states: dict
    pictures: list[np.ndarray]
    encoded: list[bytes]
    alt: str
    mode: str = "grid"
    image_format: str = "webp"
    quality: int | None = None
    note: str = ""
    ident: str = field(default="", repr=False)

    @property
    def default(self) -> dict:
        """The parameter values of the first view."""
        return {p.name: p.default for p in self.parameters}

    @property
    def nbytes(self) -> int:
        """Bytes of the encoded pictures (what the demo adds to its page, roughly)."""
        return sum(map(len, self.encoded))

    def _key(self, params: Mapping) -> tuple:
        names = [p.name for p in self.parameters]
        if set(params) - set(names):
            raise ValueError(
                f"unknown parameters {sorted(set(params) - set(names))}; known: {names}"
            )
        key = tuple(params.get(p.name, p.default) for p in self.parameters)
        if key not in self.states:
            raise KeyError(f"{dict(zip(names, key, strict=True))} was not precomputed")
        return key

    def picture(self, **params) -> np.ndarray:
        """Return the RGB picture of a state (missing parameters take their defaults)."""
        return self.pictures[self.states[self._key(params)][0]]

    def numbers(self, **params) -> dict[str, str]:
        """Return the numbers shown with a state, as text."""
        return dict(self.states[self._key(params)][1])

    def state_alt(self, key: tuple) -> str:
        """Alternative text of the state ``key``: ``alt`` and the settings."""
        settings = ", ".join(
            f"{p.label} {p.texts[p.values.index(v)]}"
            for p, v in zip(self.parameters, key, strict=True)
        )
        return f"{self.alt} ({settings})"

    def _data_uri(self, index: int) -> str:
        encoded = base64.b64encode(self.encoded[index]).decode()
        return f"data:image/{self.image_format};base64,{encoded}"

    def _data(self) -> dict:
        states = {}
        for key, (index, values) in self.states.items():
            position = ",".join(
                str(p.values.index(v)) for p, v in zip(self.parameters, key, strict=True)
            )
            states[position] = [index, list(values.values()), self.state_alt(key)]
        return {
            "mode": self.mode,
            "parameters": [
                {"label": p.label, "texts": p.texts, "default": p.default_index, "kind": p.kind}
                for p in self.parameters
            ],
            "states": states,
            "images": [self._data_uri(i) for i in range(len(self.encoded))],
        }

    def _controls_html(self) -> str:
        rows = []
        for i, p in enumerate(self.parameters):
            ident, texts, k = f"{self.ident}-{i}", p.texts, p.default_index
            shown = html.escape(texts[k])
            if p.kind == "range":
                widget = (
                    f'<input type="range" id="{ident}" min="0" max="{len(texts) - 1}" step="1" '
                    f'value="{k}" aria-valuetext="{shown}" data-decondl-param="{i}">'
                    f'<output for="{ident}" class="decondl-demo-value">{shown}</output>'
                )
            else:
                options = "".join(
                    f'<option value="{j}"{" selected" if j == k else ""}>{html.escape(t)}</option>'
                    for j, t in enumerate(texts)
                )
                widget = f'<select id="{ident}" data-decondl-param="{i}">{options}</select>'
            rows.append(
                f'<div class="decondl-demo-control"><label for="{ident}">'
                f"{html.escape(p.label)}</label>{widget}</div>"
            )
        return "".join(rows)

    def _repr_html_(self) -> str:
        key = tuple(self.default.values())
        index, values = self.states[key]
        data = json.dumps(self._data(), separators=(",", ":")).replace("</", "<\\/")
        height, width = self.pictures[index].shape[:2]
        src = self._data_uri(index)
        numbers_html = "".join(
            f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>"
            for k, v in values.items()
        )
        return (
            f'<div class="decondl-demo" id="{self.ident}" role="group" '
            f'aria-label="{html.escape(self.alt)}: interactive demo">'
            f'<div class="decondl-demo-controls" hidden>{self._controls_html()}</div>'
            f'<img class="decondl-demo-image" src="{src}" width="{width}" height="{height}" '
            f'alt="{html.escape(self.state_alt(key))}">'
            + (
                f'<dl class="decondl-demo-numbers" aria-live="polite">{numbers_html}</dl>'
                if values
                else ""
            )
            + f'<p class="decondl-demo-note">{html.escape(self.note)}</p>'
            f'<script type="application/json" class="decondl-demo-data">{data}</script></div>'
        )

    def _repr_png_(self) -> bytes:
        return _encode(self.picture(), "png", None)

    def __repr__(self) -> str:
        return (
            f"<decondl demo: {len(self.states)} states of "
            f"{', '.join(p.label for p in self.parameters)}; "
            f"{self.nbytes / 1e6:.2f} MB of pictures>"
        )


def _keys(parameters: list[Parameter], mode: str) -> list[tuple]:
    if mode == "grid":
        return list(itertools.product(*(p.values for p in parameters)))
    default = tuple(p.default for p in parameters)
    keys = [default]
    for i, p in enumerate(parameters):
        keys += [default[:i] + (v,) + default[i + 1 :] for v in p.values if v != p.default]
    return keys


def _default_note(parameters: list[Parameter], mode: str, states: int) -> str:
    how = (
        "every combination"
        if mode == "grid"
        else "one setting at a time, the others at their defaults"
    )
    return (
        f"{_NOTE}: {states} states ({how}). Run the chapter in Colab or Jupyter to choose any "
        "value."
    )


def precompute(
    function: Callable,
    grid: Mapping[str, Sequence],
    default: Mapping,
    *,
    alt: str,
    labels: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    formats: Mapping[str, str] | None = None,
    mode: str = "grid",
    width_px: int = 760,
    image_format: str = "webp",
    max_bytes: int = MAX_BYTES,
    note: str | None = None,
) -> Demo:
    """Call ``function`` for every state of a grid of parameters; return a page demo.

    Parameters
    ----------
    function : callable
        ``function(**params)`` returns a matplotlib Figure or an image array (see
        :func:`render`), or a pair ``(picture, numbers)`` where ``numbers`` maps a label to
        the value shown next to the picture (a string as is, a number with 4 significant
        digits), e.g. ``{"PSNR": "23.1 dB"}``. It must be pure: the same parameters give
        the same picture.
    grid : mapping of str to sequence
        The values of each parameter, in the order of its control (e.g. from
        :func:`sample` or :func:`controls_grid`).
    default : mapping of str to object
        The first view, one value of each parameter's grid: the ipywidgets default.
    alt : str
        What the picture shows, for readers who cannot see it; the current settings are
        appended.
    labels, units, formats : mapping of str to str, optional
        Per parameter: its name on the page, its unit, the format of its values.
    mode : {"grid", "axes"}
        ``"grid"``: every combination of values. ``"axes"``: the default and each parameter
        varied alone, the others at their defaults (moving one control on the page resets
        the others); for several sliders whose full grid would be too heavy.
    width_px : int
        Width of the drawn figures in pixels (the page scales them down on narrow screens).
    image_format : {"webp", "png"}
        Encoding of the pictures. WebP is lossless unless the pictures exceed ``max_bytes``,
        then lossy at the best quality of :data:`QUALITIES` that fits.
    max_bytes : int
        Budget of the encoded pictures.
    note : str, optional
        Text under the demo; by default it says the states were precomputed when the page was
        built, how many, and that a notebook takes any value.

    Returns
    -------
    Demo
        Displays as the page's control (HTML) or the default state's picture (PNG).

    Raises
    ------
    TypeError
        If ``function`` is not callable, or ``grid``/``default`` are not mappings, or the
        function returns something that is not a picture.
    ValueError
        If the grid is empty, a parameter has no values or repeats one, the default is not in
        the grid, or the pictures do not fit in ``max_bytes`` even at the lowest quality.

    Examples
    --------
    >>> demo = precompute(lambda gain: np.full((2, 2), gain), {"gain": [0.0, 0.5, 1.0]},
    ...                   {"gain": 0.5}, alt="A flat grey square")
    >>> len(demo.states), demo.picture()[0, 0].tolist()
    (3, [128, 128, 128])
    """
    as_callable(function, "function")
    mode = as_choice(mode, "mode", MODES)
    image_format = as_choice(image_format, "image_format", FORMATS)
    max_bytes = as_int(max_bytes, "max_bytes", low=1)
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must describe the picture (a non-empty string)")
    parameters = _parameters(grid, default, labels or {}, units or {}, formats or {})
    names = [p.name for p in parameters]
    states, pictures, seen = {}, [], {}
    for key in _keys(parameters, mode):
        result = function(**dict(zip(names, key, strict=True)))
        picture, values = (
            result if isinstance(result, tuple) and len(result) == 2 else (result, None)
        )
        rgb = render(picture, width_px)
        digest = hashlib.sha1(rgb.tobytes() + str(rgb.shape).encode()).hexdigest()
        if digest not in seen:
            seen[digest] = len(pictures)
            pictures.append(rgb)
        states[key] = (seen[digest], _numbers(values))
    quality, encoded = None, [_encode(p, image_format, None) for p in pictures]
    for q in QUALITIES if image_format == "webp" else ():
        if sum(map(len, encoded)) <= max_bytes:
            break
        quality, encoded = q, [_encode(p, image_format, q) for p in pictures]
    total = sum(map(len, encoded))
    if total > max_bytes:
        raise ValueError(
            f"the {len(pictures)} pictures take {total / 1e6:.2f} MB, over the budget of "
            f"{max_bytes / 1e6:.2f} MB: sample fewer values (decondl.demos.sample), use "
            "mode='axes' or a smaller width_px"
        )
    ident = (
        "decondl-demo-"
        + hashlib.sha1((repr(names) + str(total) + str(next(_serial))).encode()).hexdigest()[:10]
    )
    return Demo(
        parameters,
        states,
        pictures,
        encoded,
        alt.strip(),
        mode,
        image_format,
        quality,
        _default_note(parameters, mode, len(states)) if note is None else note,
        ident,
    )


# --------------------------------------------------------------------------- front ends


def live(widget, demo):
    """Return what a cell should show here: the precomputed demo in the book build, else widgets.

    Parameters
    ----------
    widget : object or callable
        The ipywidgets version (or a function of no arguments making it, so that it is only
        made when needed).
    demo : Demo or callable
        The precomputed version (or a function of no arguments making it: precomputing takes
        time a notebook reader need not spend).

    Returns
    -------
    object
        ``demo`` when :func:`decondl.notebook.in_book_build` is true, ``widget`` otherwise.

    Examples
    --------
    >>> live(lambda: "sliders", lambda: "pictures")  # outside the book build
    'sliders'
    """
    from decondl.notebook import in_book_build

    chosen = demo if in_book_build() else widget
    return chosen() if callable(chosen) and not isinstance(chosen, Demo) else chosen


def _control_values(control) -> list:
    options = getattr(control, "options", None)
    if options is not None:
        return [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in options]
    if not all(hasattr(control, a) for a in ("min", "max", "step", "value")):
        raise TypeError(f"cannot read the values of a {type(control).__name__}")
    low, high, step = control.min, control.max, control.step
    if isinstance(control.value, numbers.Integral):
        return list(range(low, high + 1, step))
    positions = np.arange(low, high + step / 2, step)
    if hasattr(control, "base"):  # FloatLogSlider: min, max and step are exponents
        return [float(f"{control.base**p:.6g}") for p in positions]
    return [round(float(p), 10) for p in positions]


def controls_grid(controls: Mapping, *, max_values: int = 9, values: Mapping | None = None):
    """Read a demo's grid, default and labels off its ipywidgets controls.

    Parameters
    ----------
    controls : mapping of str to ipywidgets control
        Parameter name to a drop-down, toggle, selection slider or numeric slider (log
        sliders included), as wired by :mod:`decondl.widgets`.
    max_values : int
        Largest number of values kept per control (evenly spread with :func:`sample`, the
        control's current value always kept).
    values : mapping of str to sequence, optional
        Values to offer instead, for some parameters (the control's value is added if
        missing).

    Returns
    -------
    grid : dict of str to list
    default : dict of str to object
        Each control's current value.
    labels : dict of str to str
        Each control's description (its name if it has none).

    Raises
    ------
    TypeError
        If a control has neither options nor a numeric range.
    """
    grid, default, labels = {}, {}, {}
    for name, control in controls.items():
        if not hasattr(control, "value"):
            raise TypeError(f"cannot read the values of a {type(control).__name__}")
        value = control.value
        if name in (values or {}):
            chosen = list(values[name])
            offered = sorted({*chosen, value}) if value not in chosen else chosen
        else:
            offered = _control_values(control)
            if value not in offered:  # a float slider's value off its steps
                offered = sorted({*offered, value})
            offered = sample(offered, value, max_values)
        grid[name], default[name] = offered, value
        labels[name] = getattr(control, "description", "") or name
    return grid, default, labels
