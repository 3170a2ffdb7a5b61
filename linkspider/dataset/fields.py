"""What every table's schema is made of: the schema version, the shared types, a described
field and a table's schema (``linkspider.dataset.schema`` assembles the tables)."""

from __future__ import annotations

import pyarrow as pa

#: 2: pages.hops; the runs table. 3: pages.drop_reason, tags_beyond_depth, links_truncated,
#: links_over_budget, note; the targets and analysis tables. 4: pages.discovered_by; the
#: sitemap_urls table. 5: links.type_attr, media_attr; link kinds alternate, amphtml,
#: pagination, http_header. 6: pages.main_terms; link_scores' relevance columns; the
#: site_topics table.
SCHEMA_VERSION = "7"

#: Low-cardinality strings are dictionary-encoded: one copy per distinct value per file.
DICT_STRING = pa.dictionary(pa.int32(), pa.string())
TIMESTAMP = pa.timestamp("us", tz="UTC")
REDIRECT_HOP = pa.struct([("url", pa.string()), ("status", pa.int16())])
HREFLANG = pa.struct([("hreflang", pa.string()), ("url", pa.string())])
TERM_COUNT = pa.struct([("term", pa.string()), ("count", pa.int32())])
RENDER_SITE = pa.struct([("site", pa.string()), ("pages_rendered", pa.int64()),
                         ("links_added", pa.int64())])


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def table_schema(fields: list[pa.Field], table: str) -> pa.Schema:
    """Return the schema for ``table`` with the schema version in its metadata."""
    return pa.schema(
        fields,
        metadata={"linkspider.schema_version": SCHEMA_VERSION, "linkspider.table": table},
    )
