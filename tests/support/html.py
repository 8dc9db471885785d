"""Read a page as a browser would: a small element tree from the stdlib html.parser, and
the fields a form would post. Enough for asserting on one element (a row's lamp) rather
than on a string that could also appear elsewhere on the page (the filter chips)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = field(default=None, repr=False)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self) -> Iterator[Element]:
        for c in self.children:
            if isinstance(c, Element):
                yield c
                yield from c.iter()

    def find_all(self, tag: str | None = None, *, cls: str | None = None, **attrs: str):
        """Descendants matching the tag, a class and exact attribute values."""
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (cls is None or cls in e.classes)
            and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> Element:
        found = self.find_all(tag, cls=cls, **attrs)
        assert found, f"no <{tag or '*'} class={cls} {attrs}> in the page"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v if v is not None else "" for k, v in attrs}, parent=self.current)
        self.current.children.append(el)
        if tag not in VOID:
            self.current = el

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v if v is not None else "" for k, v in attrs}, parent=self.current)
        self.current.children.append(el)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:  # tolerate unclosed <p>, <li>, <td>
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str | bytes) -> Element:
    builder = _TreeBuilder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def form_data(form: Element) -> dict[str, str | list[str]]:
    """What submitting ``form`` unchanged would post: named inputs (checked boxes only),
    selected options and textareas; a name seen twice posts a list."""
    data: dict[str, list[str]] = {}
    for el in form.iter():
        name = el.attrs.get("name")
        if not name or "disabled" in el.attrs:
            continue
        if el.tag == "input":
            kind = el.attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio") and "checked" not in el.attrs:
                continue
            data.setdefault(name, []).append(
                el.attrs.get("value", "on" if kind == "checkbox" else "")
            )
        elif el.tag == "textarea":
            data.setdefault(name, []).append(el.text.removeprefix("\n"))
        elif el.tag == "select":
            chosen = [o for o in el.find_all("option") if "selected" in o.attrs]
            if not chosen and "multiple" not in el.attrs:
                chosen = el.find_all("option")[:1]
            values = [o.attrs.get("value", o.text) for o in chosen]
            data.setdefault(name, []).extend(values)
    return {k: v[0] if len(v) == 1 else v for k, v in data.items() if v}
