"""A small document model with two renderers, Markdown and HTML, so the SLA agreement and the triage checklist
say the same thing in both.

Why a model: the agreement is downloaded as Markdown (for a wiki or a pull request) and as HTML (to print and
sign); built once as blocks, the two cannot drift apart. Every piece of text is plain text, whatever it holds:
the HTML renderer escapes it with `html.escape`, the Markdown renderer escapes the characters Markdown would
read as syntax (and raw HTML), and a `Code` span is fenced so that nothing inside it is read. So a channel, a
team or a tag written as `<a href=…>` in the policy is shown as typed, never as a link.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Sequence, Union


@dataclass(frozen=True)
class Code:
    """A name as the policy or a file spells it (`repro_steps`, `impact:critical`): shown in a code font."""

    text: str


@dataclass(frozen=True)
class Strong:
    text: str


Inline = Union[str, Code, Strong]
Line = tuple[Inline, ...]


def line(*parts: Inline) -> Line:
    return tuple(p for p in parts if p != "")


@dataclass(frozen=True)
class Para:
    text: Line
    note: bool = False  # a smaller, grey aside


@dataclass(frozen=True)
class Bullets:
    items: tuple[Line, ...]


@dataclass(frozen=True)
class Checklist:
    """Boxes to tick, under an optional title (`Critical`): `- [ ]` in Markdown, ☐ in HTML."""

    title: str
    items: tuple[Line, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Line, ...], ...]
    blank: bool = False  # rows left empty to write in (signatures): taller cells


Block = Union[Para, Bullets, Checklist, Table]


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: Line
    sections: tuple[Section, ...] = field(default_factory=tuple)


# --- Markdown -------------------------------------------------------------------------------------------------

# Characters Markdown (CommonMark and GitHub's tables) may read as syntax or raw HTML; each gets a backslash.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~!#])")


def md_text(text: str) -> str:
    """Plain text that reads as itself in Markdown: no emphasis, link, HTML or table cell boundary from it."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(text)))


def md_code(text: str, in_table: bool = False) -> str:
    """A code span that holds any text: the fence is longer than any run of backticks inside it."""
    text = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if in_table else span


def _md_inline(parts: Line, in_table: bool = False) -> str:
    out = []
    for part in parts:
        if isinstance(part, Code):
            out.append(md_code(part.text, in_table))
        elif isinstance(part, Strong):
            out.append(f"**{md_text(part.text)}**")
        else:
            out.append(md_text(part))
    return "".join(out)


def _md_block(block: Block) -> str:
    if isinstance(block, Para):
        text = _md_inline(block.text)
        return f"_{text}_" if block.note else text
    if isinstance(block, Bullets):
        return "\n".join(f"- {_md_inline(item)}" for item in block.items)
    if isinstance(block, Checklist):
        head = f"**{md_text(block.title)}**\n\n" if block.title else ""
        return head + "\n".join(f"- [ ] {_md_inline(item)}" for item in block.items)
    rows = [" | ".join(md_text(h) for h in block.header),
            " | ".join("---" for _ in block.header)]
    rows += [" | ".join(_md_inline(cell, in_table=True) or " " for cell in row) for row in block.rows]
    return "\n".join(f"| {r} |" for r in rows)


def markdown(doc: Document) -> str:
    parts = [f"# {md_text(doc.title)}", _md_inline(doc.subtitle)]
    for section in doc.sections:
        parts.append(f"## {md_text(section.title)}")
        parts += [_md_block(block) for block in section.blocks]
    return "\n\n".join(p for p in parts if p) + "\n"


# --- HTML -----------------------------------------------------------------------------------------------------

def _html_inline(parts: Line) -> str:
    out = []
    for part in parts:
        if isinstance(part, Code):
            out.append(f"<code>{html.escape(' '.join(part.text.split()))}</code>")
        elif isinstance(part, Strong):
            out.append(f"<b>{html.escape(part.text)}</b>")
        else:
            out.append(html.escape(part))
    return "".join(out)


def _html_block(block: Block) -> str:
    if isinstance(block, Para):
        opening = "<p class='note'>" if block.note else "<p>"
        return f"{opening}{_html_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_html_inline(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Checklist):
        title = f"<b>{html.escape(block.title)}</b> " if block.title else ""
        items = "".join(f"<li><span class='box'>&#9744;</span> {_html_inline(item)}</li>" for item in block.items)
        return f"<div class='checklist'>{title}<ul>{items}</ul></div>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
    body = "".join("<tr>" + "".join(f"<td>{_html_inline(cell)}</td>" for cell in row) + "</tr>"
                   for row in block.rows)
    opening = "<table class='blank'>" if block.blank else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_page(doc: Document, style: str) -> str:
    """One self-contained page (no script, no external file)."""
    sections = "".join(
        f"<section><h2>{html.escape(s.title)}</h2>{''.join(_html_block(b) for b in s.blocks)}</section>"
        for s in doc.sections
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(doc.title)}</title><style>{style}</style></head><body>"
        f"<h1>{html.escape(doc.title)}</h1><p class='meta'>{_html_inline(doc.subtitle)}</p>"
        f"{sections}</body></html>\n"
    )


def join_lines(lines: Sequence[Line], separator: str = "; ") -> Line:
    """Several lines as one, with a separator between them."""
    out: list[Inline] = []
    for number, item in enumerate(lines):
        if number:
            out.append(separator)
        out += item
    return tuple(out)


__all__ = [
    "Block", "Bullets", "Checklist", "Code", "Document", "Inline", "Line", "Para", "Section", "Strong", "Table",
    "html_page", "join_lines", "line", "markdown", "md_code", "md_text",
]
