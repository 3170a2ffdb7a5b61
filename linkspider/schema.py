"""The dataset's schema, declared once: the ``links`` and ``pages`` tables.

Each field carries its description in the field metadata; the README's data dictionary is
checked against these descriptions by a test, and the schema version is stored in every
Parquet file's metadata (``linkspider.schema_version``).
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"

#: Low-cardinality strings are dictionary-encoded: one copy per distinct value per file.
DICT_STRING = pa.dictionary(pa.int32(), pa.string())
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


LINKS_FIELDS = [
    _field("run_id", DICT_STRING, "Identifier of the crawl run that saw the link.", False),
    _field("fetched_at", TIMESTAMP, "When the source page was fetched (UTC).", False),
    _field("source_url", pa.string(), "Final URL of the page the link is on.", False),
    _field("source_host", DICT_STRING, "Host of the source page (lowercase, punycode)."),
    _field("referring_domain", DICT_STRING,
           "Registrable domain of the source page by the Public Suffix List (e.g. bbc.co.uk)."),
    _field("target_url", pa.string(),
           "Absolute target URL as a browser resolves it (WHATWG), without the fragment; the raw "
           "href when it is not a valid URL.", False),
    _field("target_fragment", pa.string(), "Fragment after '#', null when the href has none."),
    _field("target_host", DICT_STRING, "Host of the target (lowercase, punycode), null for "
           "mailto:, tel:, javascript:, data: and invalid links."),
    _field("target_domain", DICT_STRING, "Registrable domain of the target host."),
    _field("target_scheme", DICT_STRING,
           "Scheme of the target (http, https, mailto, tel, javascript, data, ...; 'invalid' "
           "when the href is not a valid URL).", False),
    _field("anchor_text", pa.string(),
           "Link text: entities decoded, NFKC, whitespace collapsed, trimmed; for an image link "
           "without text, the image's alt text.", False),
    _field("anchor_from_alt", pa.bool_(), "True when anchor_text comes from an alt attribute.",
           False),
    _field("tag", DICT_STRING, "Element of the link: 'a' or 'area'.", False),
    _field("rel", pa.list_(pa.string()),
           "rel tokens, lowercased and deduplicated, in document order; empty list when none.",
           False),
    _field("nofollow", pa.bool_(), "rel contains nofollow.", False),
    _field("ugc", pa.bool_(), "rel contains ugc.", False),
    _field("sponsored", pa.bool_(), "rel contains sponsored.", False),
    _field("follow", pa.bool_(),
           "True when the link passes equity: no nofollow/ugc/sponsored in rel and the page "
           "does not say nofollow (meta robots or X-Robots-Tag).", False),
    _field("follow_reason", DICT_STRING,
           "Why follow is False (rel_nofollow, rel_ugc, rel_sponsored, meta_robots, "
           "x_robots_tag), or 'followed'.", False),
    _field("is_external", pa.bool_(),
           "True when the target's registrable domain differs from the referring domain.", False),
    _field("position", pa.int32(), "0-based ordinal of the link among the page's links.", False),
]

PAGES_FIELDS = [
    _field("run_id", DICT_STRING, "Identifier of the crawl run.", False),
    _field("fetched_at", TIMESTAMP, "When the response arrived, or the failure happened (UTC).",
           False),
    _field("url", pa.string(), "URL as requested (before redirects).", False),
    _field("final_url", pa.string(), "URL of the response after redirects; null on failure."),
    _field("host", DICT_STRING, "Host of final_url (or url on failure)."),
    _field("domain", DICT_STRING, "Registrable domain of host."),
    _field("status", pa.int16(), "HTTP status of the final response; null on failure."),
    _field("content_type", DICT_STRING, "Media type of the response, without parameters."),
    _field("encoding", DICT_STRING, "Character encoding the HTML was decoded with."),
    _field("size", pa.int64(), "Body size in bytes."),
    _field("title", pa.string(), "Text of <title>, whitespace collapsed."),
    _field("canonical_url", pa.string(), "<link rel=canonical> resolved to an absolute URL."),
    _field("meta_robots", pa.string(), "Content of <meta name=robots>."),
    _field("x_robots_tag", pa.string(), "X-Robots-Tag response header(s)."),
    _field("page_nofollow", pa.bool_(), "The page says nofollow (meta robots or X-Robots-Tag)."),
    _field("redirect_urls", pa.list_(pa.string()),
           "URLs redirected through before final_url, in order; empty when none."),
    _field("depth", pa.int16(), "Links followed from the seed to reach this URL.", False),
    _field("links_count", pa.int32(), "Number of links recorded from the page.", False),
    _field("error", pa.string(), "What went wrong when the fetch failed; null on success."),
]


def table_schema(fields: list[pa.Field], table: str) -> pa.Schema:
    """Return the schema for ``table`` with the schema version in its metadata."""
    return pa.schema(
        fields,
        metadata={"linkspider.schema_version": SCHEMA_VERSION, "linkspider.table": table},
    )


LINKS_SCHEMA = table_schema(LINKS_FIELDS, "links")
PAGES_SCHEMA = table_schema(PAGES_FIELDS, "pages")
SCHEMAS = {"links": LINKS_SCHEMA, "pages": PAGES_SCHEMA}

#: Columns of ``links`` that are the same for every link of a page.
LINK_PAGE_COLUMNS = ("run_id", "fetched_at", "source_url", "source_host", "referring_domain")


def type_name(type_: pa.DataType) -> str:
    """Return a short, reader-friendly name of an Arrow type."""
    if pa.types.is_dictionary(type_):
        return "string (dictionary)"
    if pa.types.is_timestamp(type_):
        return f"timestamp[{type_.unit}, {type_.tz}]"
    if pa.types.is_list(type_):
        return f"list<{type_.value_type}>"
    return "bool" if pa.types.is_boolean(type_) else str(type_)


def data_dictionary_markdown() -> str:
    """Return the README's data dictionary: one Markdown table per dataset table."""
    out: list[str] = []
    for table, schema in SCHEMAS.items():
        out.append(f"#### `{table}`\n")
        out.append("| column | type | null | meaning |")
        out.append("|---|---|---|---|")
        for f in schema:
            meaning = f.metadata[b"description"].decode()
            out.append(f"| `{f.name}` | {type_name(f.type)} | {'yes' if f.nullable else 'no'} "
                       f"| {meaning} |")  # fmt: skip
        out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(data_dictionary_markdown(), end="")
