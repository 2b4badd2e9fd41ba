"""The README's schema reference is the schema: every table people query, every column, checked
against a store the code creates (one description, kept true by this test)."""

from __future__ import annotations

import re
from pathlib import Path

from crawler.store import Store

README = Path(__file__).parents[1] / "README.md"
INTERNAL = {"_sqlite_migrations", "story_signatures", "story_keys", "story_facts", "story_paragraphs"}


def documented() -> dict[str, set[str]]:
    """table -> the columns the README's ``### `table` `` section lists."""
    text = README.read_text(encoding="utf-8")
    tables: dict[str, set[str]] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        heading = re.match(r"`(\w+)`", section)
        if heading is None:
            continue
        rows = re.findall(r"^\| (`[^|]*`) \|", section.split("\n## ")[0], flags=re.M)
        tables[heading.group(1)] = {name for cell in rows for name in re.findall(r"`(\w+)`", cell)}
    return tables


def test_every_table_and_column_is_documented(tmp_path):
    store = Store(tmp_path / "tw.db")
    try:
        names = [t for t in store.db.table_names() if t not in INTERNAL and not t.startswith("articles_fts")]
        schema = {t: {c.name for c in store.db[t].columns} for t in names}
    finally:
        store.close()
    docs = documented()
    assert set(schema) <= set(docs), f"tables missing from the README: {set(schema) - set(docs)}"
    for table, columns in schema.items():
        assert columns == docs[table], (
            table,
            "undocumented",
            columns - docs[table],
            "gone",
            docs[table] - columns,
        )
