"""Pages that refresh themselves (htmx polling), cheaply and politely.

An open page asks every ``live_refresh_seconds`` for its lists with the version of what it
shows; the answer is 204 (nothing to swap, nothing rendered into the page) unless something
changed. The server renders the fragment and compares its hash, so anything a person would
see change (a new escalation, a holder, "due in 9 minutes") counts, and nothing else does.
Screen-reader users hear one polite status line when the *work* changes (not the wording),
and focus stays where it was: every link in a swapped list has a stable id, which htmx
refocuses. Without JavaScript the pages are the same, and a reload shows the news.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response

from api.deps import NowDep
from api.pages.web import PageSessionDep, fragment, page_router, templates

router = page_router()


def version(text: str) -> str:
    """A short hash of what the page shows."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def state(parts: Iterable[object]) -> str:
    """A short hash of the work itself (ids, statuses, holders), not of its wording."""
    return version("|".join(str(p) for p in parts))


def unchanged() -> Response:
    """Nothing changed: htmx swaps nothing on a 204, and the page keeps polling."""
    return Response(status_code=204)


def live_region(
    request: Request, *, region_id: str, url: str, inner: str, work: str, refresh: int,
) -> Markup:
    """The polling container around a list: it carries the versions it shows."""
    return Markup(templates.get_template("partials/live_region.html").render({
        "request": request, "region_id": region_id, "url": url, "inner": Markup(inner),
        "v": version(inner), "s": work, "refresh": refresh,
    }))


def live_answer(
    request: Request, region: Markup, *, status_id: str, status_text: str, work_changed: bool,
) -> Response:
    """The swapped region, and the polite status line when the work itself changed."""
    body = str(region)
    if work_changed:
        body += templates.get_template("partials/live_status.html").render(
            {"request": request, "status_id": status_id, "text": status_text})
    return Response(body, media_type="text/html")


# ---------------------------------------------------------------- the header's counts


@router.get("/live/counts")
def counts(
    request: Request, page: PageSessionDep, now: NowDep, u: int = -1, n: int = -1,
) -> Response:
    """The header's urgent and unread counts, when they differ from what the page shows."""
    if u == page.urgent and n == page.unread:
        return unchanged()
    context: Mapping[str, Any] = {"page": page, "previous_urgent": u}
    html = fragment(request, "partials/live_counts.html", page, context, now=now,
                    settings=page.settings)
    return Response(html, media_type="text/html")
