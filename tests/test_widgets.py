import ipywidgets as W
import pytest

from utils.widgets import interact, slider


def test_slider_int_when_all_ints():
    s = slider(3, 0, 10, description="k")
    assert isinstance(s, W.IntSlider)
    assert (s.value, s.min, s.max, s.description) == (3, 0, 10, "k")
    assert s.continuous_update is False


@pytest.mark.parametrize("args", [(0.5, 0, 1), (1, 0.0, 2), (1, 0, 2.5)])
def test_slider_float_when_any_float(args):
    s = slider(*args)
    assert isinstance(s, W.FloatSlider)
    assert s.value == pytest.approx(args[0])


def test_slider_integer_override_and_step():
    s = slider(1, 0, 4, step=0.25, integer=False)
    assert isinstance(s, W.FloatSlider)
    assert s.step == 0.25
    assert isinstance(slider(2.0, 0.0, 4.0, integer=True), W.IntSlider)


def test_interact_calls_once_at_creation():
    calls = []

    def f(a):
        calls.append(a)
        return a * 2

    demo = interact(f, show=False, a=slider(3, 0, 10))
    assert calls == [3]
    assert demo.result == 6


def test_interact_show_true_outside_notebook_is_harmless():
    demo = interact(lambda a: a + 1, a=slider(1, 0, 5))
    assert demo.result == 2


def test_setting_value_reruns_callback():
    calls = []

    def f(a, b):
        calls.append((a, b))
        return a * b

    a, b = slider(2, 0, 10), slider(0.5, 0.0, 1.0)
    demo = interact(f, show=False, a=a, b=b)
    assert demo.result == pytest.approx(1.0)
    a.value = 8
    assert demo.result == pytest.approx(4.0)
    b.value = 0.25
    assert demo.result == pytest.approx(2.0)
    assert calls[-1] == (8, 0.25) and len(calls) == 3
    assert list(demo.children[:-1]) == [a, b]


def test_interact_accepts_keyword_only_arguments():
    def f(*, a=1):
        return -a

    demo = interact(f, show=False, a=slider(4, 0, 5))
    assert demo.result == -4


def test_interact_rejects_unknown_argument():
    calls = []

    def f(a):
        calls.append(a)

    with pytest.raises(TypeError, match="nope"):
        interact(f, show=False, a=slider(1, 0, 2), nope=slider(1, 0, 2))
    assert calls == [], "fails before running the callback"


def test_interact_rejects_local_variable_name():
    def f(a):
        local = a  # a local variable is not an argument
        return local

    with pytest.raises(TypeError):
        interact(f, show=False, local=slider(1, 0, 2))


def test_interact_keeps_other_defaulted_arguments_fixed():
    def f(a, scale=2.0, show=True, label="x"):
        return a * scale, show, label

    demo = interact(f, show=False, a=slider(3, 0, 5))
    assert len(demo.children) == 2, (
        "one control and the output: no widgets invented for scale/show/label"
    )
    assert demo.result == (6.0, True, "x")
    demo.children[0].value = 4
    assert demo.result == (8.0, True, "x")
