"""Build churn.sqlite, the database of recipes/sql_example.yaml, from churn.csv.

    python recipes/data/make_churn_sqlite.py             # rewrites recipes/data/churn.sqlite
    python recipes/data/make_churn_sqlite.py OUT.sqlite  # writes elsewhere

Deterministic: the same CSV gives the same rows in the same order. The database holds one table,
``customers`` (an ``id`` key plus the CSV's columns; empty CSV cells become NULL), and a view,
``recent_customers``, to show that a query works as well as a table. Only the standard library is
used, so the script runs anywhere.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "churn.csv"
TARGET = HERE / "churn.sqlite"

# The CSV's columns and their SQL types, in order.
COLUMNS = {
    "customer_age": "REAL",
    "tenure_months": "INTEGER",
    "contract": "TEXT",
    "payment_method": "TEXT",
    "internet": "TEXT",
    "monthly_charges": "REAL",
    "support_calls": "INTEGER",
    "churned": "TEXT",
}
_CONVERT = {"REAL": float, "INTEGER": int, "TEXT": str}


def rows(source: Path = SOURCE) -> list[tuple[object, ...]]:
    """The CSV's rows as typed tuples (None for an empty cell)."""
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if list(reader.fieldnames or []) != list(COLUMNS):
            raise SystemExit(f"{source}: expected the columns {', '.join(COLUMNS)}")
        return [
            tuple(
                _CONVERT[kind](record[name]) if record[name] != "" else None
                for name, kind in COLUMNS.items()
            )
            for record in reader
        ]


def build(target: Path = TARGET, source: Path = SOURCE) -> Path:
    """Write the database to ``target`` (replacing it) and return its path."""
    target.unlink(missing_ok=True)
    columns = ",\n  ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
    with sqlite3.connect(target) as db:
        db.execute(f"CREATE TABLE customers (\n  id INTEGER PRIMARY KEY,\n  {columns}\n)")
        placeholders = ", ".join("?" for _ in COLUMNS)
        db.executemany(
            f"INSERT INTO customers ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows(source)
        )
        db.execute(
            "CREATE VIEW recent_customers AS SELECT * FROM customers WHERE tenure_months <= 12"
        )
    db.close()
    with sqlite3.connect(target) as db:
        db.execute("VACUUM")  # compact, and the same bytes for the same rows
    db.close()
    return target


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB)")
