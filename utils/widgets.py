"""Widgets that degrade gracefully: the callback is a plain function, called once at creation.

In JupyterLab the controls appear and re-run the callback on every change; in a test or in nbval the
same object exists, `demo.result` holds the callback's return value, and setting a control's value
re-runs it, so a test can move a slider without a browser.
"""

import inspect

import ipywidgets as W
from IPython.display import display


def slider(value, lo, hi, step=None, description="", integer=None):
    """A wide slider readable on a projector; integer if all of value, lo and hi are ints."""
    integer = integer if integer is not None else all(isinstance(v, int) for v in (value, lo, hi))
    cls = W.IntSlider if integer else W.FloatSlider
    kwargs = dict(
        value=value,
        min=lo,
        max=hi,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
        layout=W.Layout(width="600px"),
    )
    if step is not None:
        kwargs["step"] = step
    return cls(**kwargs)


def interact(fn, show=True, **controls):
    """Bind `controls` (widgets, keyed by fn's argument names) to `fn`; run it now; display the
    result.

    Returns the ipywidgets `interactive` object: `.children[:-1]` are the controls, `.result` the
    last return value of `fn`, `.update()` re-runs it.
    """
    params = inspect.signature(fn).parameters
    missing = [k for k in controls if k not in params]
    if missing:
        raise TypeError(f"{fn.__name__} has no argument(s) {missing} for these controls")
    # ipywidgets would invent a control for every other argument with a default: keep those fixed.
    fixed = {
        k: W.fixed(p.default)
        for k, p in params.items()
        if k not in controls and p.default is not inspect.Parameter.empty
    }
    demo = W.interactive(fn, **controls, **fixed)
    if show:
        display(demo)
    return demo
