"""YAML that a person wrote (a persona, a rubric, a coaching file, anything submitted through a page).

PyPI's ``yaml.safe_load`` already refuses Python tags, but it follows aliases: ``&K [...]`` reused a thousand times
inside another field builds a structure whose *expanded* size is gigabytes from a 20 KB text (every validation,
copy and dump walks each use again). No persona or rubric needs an alias, so this loader refuses every alias,
and refuses nesting deeper than :data:`MAX_DEPTH` before Python's recursion limit would. What it accepts expands
to no more than the text itself, which the services already cap.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError

#: Deeper than any real document (a persona is about four levels deep).
MAX_DEPTH = 50


class _Loader(yaml.SafeLoader):
    """The safe loader, without aliases and with bounded nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ComposerError(None, None, "aliases (*name) are not accepted: write the value out in full",
                                event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                self.peek_event().start_mark)  # type: ignore[no-untyped-call]
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load(text: str) -> Any:
    """The document's data, or ``yaml.YAMLError`` (an alias, nesting too deep, a syntax error, an unsafe tag)."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: safe tags only


def parse(text: str) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree (for field line numbers), from one pass of the parser."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def compose(text: str) -> yaml.Node | None:
    """The document's node tree (for line numbers), refusing what :func:`load` refuses."""
    return yaml.compose(text, Loader=_Loader)
