"""The HTML pages: server-rendered on the NHS.UK design system, over the same domain services
as the JSON API. Every core action is a plain form POST (CSRF-checked), so it works without
JavaScript; each mutation commits once, then redirects (303) to a page that shows the result.

Each area's pages are a module of their own, beside its form code (``<area>_forms.py``); the
helpers they share are ``web`` (sessions, CSRF, rendering, errors as pages) and ``formkit``
(forms and their errors). This is the one place that gathers the areas, in no particular
order: no two of them answer the same address.
"""

from __future__ import annotations

from api.pages import (
    coordinator,
    deterioration,
    first_contact,
    live,
    migrations,
    my_work,
    notifications,
    pathway,
    residents,
    rounds,
    sign_in,
    steps,
)
from api.pages.web import page_router

router = page_router()
for area in (sign_in, my_work, steps, residents, coordinator, notifications, rounds,
             deterioration, first_contact, pathway, migrations, live):
    router.include_router(area.router)
