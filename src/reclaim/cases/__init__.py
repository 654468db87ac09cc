"""Cases: a named investigation holding the items its scans found and what they matched."""

from reclaim.cases.service import CaseSummary, ItemView, case_items, get_case, get_or_create_case, list_cases

__all__ = ["CaseSummary", "ItemView", "case_items", "get_case", "get_or_create_case", "list_cases"]
