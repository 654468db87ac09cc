"""Named sets of known hashes (banks): create, add, withdraw, list, and move them as hash lists."""

from reclaim.banks.service import (
    BankSummary,
    add_content,
    create_bank,
    get_bank,
    list_banks,
    withdraw_content,
)
from reclaim.banks.transfer import (
    ImportReport,
    export_bank,
    export_hma_csv,
    import_hma_csv,
    import_list,
)

__all__ = [
    "BankSummary",
    "ImportReport",
    "add_content",
    "create_bank",
    "export_bank",
    "export_hma_csv",
    "get_bank",
    "import_hma_csv",
    "import_list",
    "list_banks",
    "withdraw_content",
]
