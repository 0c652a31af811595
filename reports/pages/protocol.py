"""The protocol shipped with every site: docs/protocol.md rendered to ``protocol.html``, each numbered
section anchored ``#sN``, and every citation of it on any page (``PROTOCOL §N`` or ``§N``) a link there.

The markdown is package data: ``reports/templates/protocol.md`` is a link to docs/protocol.md, so the
protocol is written once and the wheel carries the file it points to.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

import markdown
import markupsafe
from markdown.extensions.toc import TocExtension, slugify

PROTOCOL_PAGE = "protocol.html"
CITATION = re.compile(r"(?:PROTOCOL )?§(\d+)")
SECTION = re.compile(r"(\d+)\.\s")  # a numbered section's heading: "6. Aggregation"
GITHUB_ANCHOR = re.compile(r'href="#(\d+)-[^"]*"')  # the markdown's own contents links ("#6-aggregation")
# Elements whose text must stay text: a link inside a link is invalid, and these are not shown as HTML.
NO_LINKS = ("a", "script", "style", "title", "option", "textarea")


def section_id(heading: str, separator: str) -> str:
    """A heading's anchor: ``s6`` for "6. Aggregation" (what citations link to), else the usual slug."""
    numbered = SECTION.match(heading)
    return f"s{numbered.group(1)}" if numbered else slugify(heading, separator)


def render_protocol(text: str) -> markupsafe.Markup:
    """The protocol's markdown as HTML: sections anchored ``#sN``, its contents links pointing there.
    The text is the project's own (package data), not data from a store."""
    html = markdown.markdown(text, extensions=["tables", "fenced_code", TocExtension(slugify=section_id)])
    return markupsafe.Markup(GITHUB_ANCHOR.sub(r'href="#s\1"', html))


@lru_cache(maxsize=1)
def protocol_html() -> markupsafe.Markup:
    """The shipped protocol (package data), rendered once per process."""
    return render_protocol((files("imputebench.reports") / "templates" / "protocol.md").read_text(encoding="utf-8"))


def _inside(html: str, at: int, tag: str) -> bool:
    opened = max(html.rfind(f"<{tag} ", 0, at), html.rfind(f"<{tag}>", 0, at))
    return opened > html.rfind(f"</{tag}>", 0, at)


def link_citations(html: str, page: str = PROTOCOL_PAGE) -> str:
    """``html`` with every citation of the protocol in its text linked to its section on ``page``.
    Citations inside a tag (a tooltip, an alt text) or inside a link, a title, an option, a script or a
    style stay as they are. Pages are autoescaped, so a ``<`` or ``>`` in text is always a tag's."""
    if "§" not in html:
        return html
    out, last = [], 0
    for found in CITATION.finditer(html):
        at = found.start()
        if html.rfind("<", 0, at) > html.rfind(">", 0, at) or any(_inside(html, at, tag) for tag in NO_LINKS):
            continue
        out += [html[last:at], f'<a class="cite" href="{page}#s{found.group(1)}">{found.group(0)}</a>']
        last = found.end()
    return "".join(out) + html[last:]
