"""Template hygiene a reader would otherwise see on the page."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_comment_spans_lines():
    """Django's {# #} comments end at the line end: one that spans lines is printed on the
    page (it was, at the top of every page). Longer comments use {% comment %}."""
    offenders = [
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.*")
        if re.search(r"\{#(?:(?!#\}).)*\n", p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
