"""Export a case's signed evidence bundle from the browser: the same zip as ``reclaim evidence export``."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from reclaim.evidence.bundle import export_bundle
from reclaim.evidence.casefiles import CaseFiles
from reclaim.server.auth import StaffUser, audit
from reclaim.server.deps import SessionDep
from reclaim.server.web.common import visible_case

router = APIRouter(include_in_schema=False)


@router.post("/cases/{name}/evidence")
def export(request: Request, name: str, who: StaffUser, session: SessionDep) -> Response:
    """The bundle as a download (blurred previews, no originals); the export is custody-logged and audited."""
    case = visible_case(session, name, who)
    folder = Path(tempfile.mkdtemp(prefix="reclaim-web-export-"))
    out = folder / f"evidence-{CaseFiles.for_case(case.name).root.name}.zip"
    result = export_bundle(session, CaseFiles.for_case(case.name), out, actor=who.actor)
    audit(request, who, "evidence.exported", f"case:{case.name} manifest:{result.manifest_sha256}",
          session=session)

    def cleanup_files() -> None:
        out.unlink(missing_ok=True)
        folder.rmdir()

    cleanup = BackgroundTask(cleanup_files)
    return FileResponse(out, media_type="application/zip", filename=out.name, background=cleanup,
                        headers={"Cache-Control": "no-store", "X-Manifest-SHA256": result.manifest_sha256})
