"""Page numbers for lists: one bound for the API, the pages and the services."""

from __future__ import annotations

from care.errors import InvalidInput

MAX_PAGE = 10_000
MAX_PAGE_SIZE = 200


def page_offset(page: int, page_size: int) -> int:
    """The first row of a page. Outside the bounds it is refused with the field, so a huge
    number is a 422 and never reaches PostgreSQL as an offset ("bigint out of range", a 500)."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"must be between 1 and {MAX_PAGE}", field="page")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    return (page - 1) * page_size


def clamp_page(page: int, pages: int = MAX_PAGE) -> int:
    """A page number from a link or an address bar, brought within 1..pages (a person who
    edits ``?p=`` gets the nearest page, not an error)."""
    return min(max(1, page), max(1, min(pages, MAX_PAGE)))
