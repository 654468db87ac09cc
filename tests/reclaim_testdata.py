"""Constants the tests share, in a module of its own: ``from conftest import`` answers with whichever of the
several conftest modules was imported last, so shared names live here."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVALS = Path(os.environ.get("RECLAIM_EVALS", REPO.parent / "shared" / "evals"))
IDENTITY_PASSPHRASE = "test identity photos passphrase"
