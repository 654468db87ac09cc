"""Self-reports: a person hashes their own pictures on their device and sends only the hashes, with no account.

Each report gets a case number and a PIN (shown once, stored as Argon2id); its hashes go into the
``self-report`` bank at once, unverified, and can be withdrawn with the number and PIN.
"""

from reclaim.selfreports.service import (
    BANK_NAME,
    MAX_ITEMS,
    ReportedItem,
    ReportStatus,
    attach_report,
    create_report,
    find_report,
    list_reports,
    note_lookup_matches,
    report_status,
    withdraw_report,
)

__all__ = [
    "BANK_NAME",
    "MAX_ITEMS",
    "ReportStatus",
    "ReportedItem",
    "attach_report",
    "create_report",
    "find_report",
    "list_reports",
    "note_lookup_matches",
    "report_status",
    "withdraw_report",
]
