"""Named sets of known hashes (banks): create, add, withdraw, list, and move them as HMA CSV."""

from reclaim.banks.hashlists import export_hma_csv, import_hma_csv
from reclaim.banks.service import (
    BankSummary,
    add_content,
    create_bank,
    get_bank,
    list_banks,
    withdraw_content,
)

__all__ = [
    "BankSummary",
    "add_content",
    "create_bank",
    "export_hma_csv",
    "get_bank",
    "import_hma_csv",
    "list_banks",
    "withdraw_content",
]
