"""The web UI: server-rendered pages (Jinja2) with htmx for in-place actions; no build step.

Staff (admins, officers) see every case; a victim sees only their own case's page. Media is shown blurred;
an unblurred view is an explicit click, answered inline and written to the access audit log.
"""

from reclaim.server.web import (
    attribution,
    audit_page,
    banks,
    cases,
    evidence,
    media,
    self_report,
    takedowns,
    victim,
)

ROUTERS = (cases.router, media.router, evidence.router, takedowns.router, banks.router, victim.router,
           audit_page.router, attribution.router, self_report.router)
