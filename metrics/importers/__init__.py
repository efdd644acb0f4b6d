"""Import files (CONTRACT.md §1): `import_file(kind, source, ...)` and the kinds it knows.

    from metrics.importers import import_file, ImportResult, RowError, KINDS
    result = import_file("deposits", path, user=request.user, dry_run=True)
    result.ok, result.summary, [str(error) for error in result.errors]

The built-in kinds register themselves when this package is imported, in file order
(branches, staff, absences, accounts, deposits, ebanking, feedback); another app adds its
own with `register(KindSpec(...))` from its AppConfig.ready() — see `metrics.importers.base`.
"""

from metrics.importers import organisation, records  # noqa: F401  (importing them registers the kinds)
from metrics.importers.base import (
    IMPORT_REASON,
    KINDS,
    UPDATE_REASON,
    Amount,
    Boolean,
    Choice,
    Column,
    Date,
    FileRejected,
    ImportContext,
    ImportResult,
    KindSpec,
    Month,
    Number,
    Plan,
    RowError,
    Rows,
    Text,
    WholeNumber,
    finalized_message,
    flag_repeated,
    history_source,
    import_file,
    locked_months,
    register,
)

__all__ = [
    "IMPORT_REASON",
    "KINDS",
    "UPDATE_REASON",
    "Amount",
    "Boolean",
    "Choice",
    "Column",
    "Date",
    "FileRejected",
    "ImportContext",
    "ImportResult",
    "KindSpec",
    "Month",
    "Number",
    "Plan",
    "RowError",
    "Rows",
    "Text",
    "WholeNumber",
    "finalized_message",
    "flag_repeated",
    "history_source",
    "import_file",
    "locked_months",
    "register",
]
