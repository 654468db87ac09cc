"""Cases: a named investigation holding the items its scans found, what they matched, and reviews."""

from reclaim.cases.review import Decision, case_bank_name, create_case, review_item
from reclaim.cases.service import (
    CaseSummary,
    ItemView,
    case_items,
    current_decisions,
    get_case,
    list_cases,
)

__all__ = [
    "CaseSummary",
    "Decision",
    "ItemView",
    "case_bank_name",
    "case_items",
    "create_case",
    "current_decisions",
    "get_case",
    "list_cases",
    "review_item",
]
