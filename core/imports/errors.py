"""What an import answers when a row or the whole file is wrong."""

from dataclasses import dataclass

from core.errors import LobbyStarError


@dataclass(frozen=True)
class RowError:
    """One bad cell or row: `row` counts the header as row 1; `column` is the English name,
    or "-" when the problem is the whole row or file."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class FileRejected(LobbyStarError):
    """The file as a whole cannot be read (empty, not CSV/XLSX, a required column missing)."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors
