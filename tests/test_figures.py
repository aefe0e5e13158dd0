"""Figures and slide-sized text in every notebook (discovered: a new notebook is checked unedited).

Every image a notebook's markdown shows (`![alt](src)` or `<img src=...>`) is a file under
notebooks/figures/ with alt text; every SVG there parses and has a viewBox; every figure is used;
and no markdown cell is longer than a slide can hold.
"""

import re
import xml.etree.ElementTree as ET

import nbformat
import pytest

from conftest import NOTEBOOKS
from utils.paths import NOTEBOOK_DIR

FIGURES = NOTEBOOK_DIR / "figures"
MAX_WORDS = 200  # a projector slide holds about this much prose

MD_IMAGE = re.compile(r"!\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_IMG = re.compile(r"<img\b[^>]*>", re.I)
TAG = re.compile(r"<[^>]+>")


def attribute(tag, name):
    m = re.search(rf"\b{name}\s*=\s*([\"'])(.*?)\1", tag, re.I | re.S)
    return m.group(2) if m else None


def images(source):
    """(alt, src) of every image in a markdown source, in both syntaxes."""
    found = [(alt, src) for alt, src in MD_IMAGE.findall(source)]
    found += [(attribute(tag, "alt"), attribute(tag, "src")) for tag in HTML_IMG.findall(source)]
    return found


def markdown_cells(path):
    nb = nbformat.read(str(path), as_version=4)
    return [c for c in nb.cells if c.cell_type == "markdown"]


def test_image_patterns_find_both_syntaxes():
    md = '![a [b] c](figures/x.svg) and <img alt="d" src="figures/y.png" width=300>'
    assert images(md) == [("a [b] c", "figures/x.svg"), ("d", "figures/y.png")]
    assert images("<img src='z.svg'>") == [(None, "z.svg")]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_image_exists_under_figures_with_alt_text(path):
    problems = []
    for cell in markdown_cells(path):
        for alt, src in images(cell.source):
            where = f"cell {cell.get('id')}: {src!r}"
            if not src or re.match(r"[a-z]+:", src):
                problems.append(f"{where} is not a relative path to a file in notebooks/figures/")
                continue
            target = (NOTEBOOK_DIR / src).resolve()
            if not target.is_relative_to(FIGURES.resolve()):
                problems.append(f"{where} is not under notebooks/figures/")
            elif not target.is_file():
                problems.append(f"{where} does not exist")
            if not (alt or "").strip():
                problems.append(f"{where} has no alt text")
    assert not problems, "\n".join(problems)


SVGS = sorted(FIGURES.glob("*.svg"))


@pytest.mark.parametrize("svg", SVGS, ids=lambda p: p.name)
def test_svg_parses_and_has_a_viewbox(svg):
    root = ET.parse(svg).getroot()
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg"), f"{svg.name}: root is {root.tag}"
    box = (root.get("viewBox") or "").replace(",", " ").split()
    assert len(box) == 4 and float(box[2]) > 0 and float(box[3]) > 0, f"{svg.name}: viewBox {box}"


def test_every_figure_is_used():
    used = {
        (NOTEBOOK_DIR / src).resolve()
        for path in NOTEBOOKS
        for cell in markdown_cells(path)
        for _, src in images(cell.source)
        if src
    }
    unused = [f.name for f in sorted(FIGURES.iterdir()) if f.is_file() and f.resolve() not in used]
    assert not unused, f"figures no notebook shows: {unused}"


def rendered_words(source):
    """Roughly the words a reader sees: images and HTML tags removed, split on whitespace."""
    return len(TAG.sub(" ", HTML_IMG.sub(" ", MD_IMAGE.sub(" ", source))).split())


def test_rendered_words_ignore_images_and_tags():
    assert rendered_words("Two words ![a long alt text](figures/x.svg) <b>three</b>") == 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_cells_fit_a_slide(path):
    long = [
        f"cell {c.get('id')}: {n} words, starting {c.source[:50]!r}"
        for c in markdown_cells(path)
        if (n := rendered_words(c.source)) > MAX_WORDS
    ]
    assert not long, f"split these cells (at most {MAX_WORDS} words each):\n" + "\n".join(long)
