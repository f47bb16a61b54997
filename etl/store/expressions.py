"""SQL expressions the store's reads and writes share, rendered for SQLite and PostgreSQL."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from schemas.figures import COUNTED_ROLE, COUNTED_UNIT, UNKNOWN_PUBLISHER


class publisher_head(GenericFunction):
    """The text of a publisher before its first comma, trimmed."""

    type = sa.String()
    name = "publisher_head"
    inherit_cache = True


@compiles(publisher_head, "sqlite")
def _head_sqlite(element: publisher_head, compiler: sa.sql.compiler.SQLCompiler, **kw) -> str:
    text = compiler.process(element.clauses, **kw)
    return f"trim(substr({text}, 1, instr({text} || ',', ',') - 1))"


@compiles(publisher_head, "postgresql")
def _head_postgresql(element: publisher_head, compiler: sa.sql.compiler.SQLCompiler, **kw) -> str:
    return f"trim(split_part({compiler.process(element.clauses, **kw)}, ',', 1))"


def organisation(publisher: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """`schemas.figures.organisation` in SQL: who published a figure."""
    # Literals, not bound values: PostgreSQL matches a grouped expression only when its text
    # is the same in SELECT and GROUP BY, and each bound value gets a placeholder of its own.
    blank, unknown = (sa.literal_column(f"'{text}'") for text in ("", UNKNOWN_PUBLISHER))
    return sa.func.coalesce(sa.func.nullif(publisher_head(publisher), blank), unknown)


def overlapping(
    table: sa.FromClause, date_from: dt.date | None, date_to: dt.date | None
) -> list[sa.ColumnElement[bool]]:
    """Periods that reach into [date_from, date_to]: the figures a view lists."""
    where = []
    if date_from:
        where.append(table.c.period_end >= date_from)
    if date_to:
        where.append(table.c.period_start <= date_to)
    return where


def counted(figures: sa.FromClause) -> list[sa.ColumnElement[bool]]:
    """The headline rule (`schemas.figures.COUNTED_*`): recommended, in people, for everyone."""
    c = figures.c
    return [c.role == COUNTED_ROLE, c.unit == COUNTED_UNIT, c.sex.is_(None), c.age_group.is_(None)]


class bytewise(GenericFunction):
    """Text ordered by code point, as Python orders it, whatever the server's collation."""

    type = sa.String()
    name = "bytewise"
    inherit_cache = True


@compiles(bytewise, "sqlite")
def _bytewise_sqlite(element: bytewise, compiler: sa.sql.compiler.SQLCompiler, **kw) -> str:
    # SQLite's default BINARY collation already compares UTF-8 bytes: code point order.
    return compiler.process(element.clauses, **kw)


@compiles(bytewise, "postgresql")
def _bytewise_postgresql(element: bytewise, compiler: sa.sql.compiler.SQLCompiler, **kw) -> str:
    return f'({compiler.process(element.clauses, **kw)} COLLATE "C")'


# Above every character a P-code holds, in code point order (`bytewise`).
_LAST_CHARACTER = "\U0010ffff"


def starts_with(
    column: sa.ColumnElement[str], prefix: str, *, narrow: bool
) -> list[sa.ColumnElement[bool]]:
    """Text that begins with `prefix`; when the prefix is `narrow`, also as a range.

    SQLite never uses an index for LIKE ... ESCAPE, so a prefix alone scans the table; the
    range, in code point order on either backend, narrows it through the index and LIKE
    keeps the meaning exact. A prefix that picks most of the table (a country's) is read
    faster by the scan.
    """
    like = column.startswith(prefix, autoescape=True)
    if not narrow:
        return [like]
    key = bytewise(column)
    return [key >= prefix, key < prefix + _LAST_CHARACTER, like]
