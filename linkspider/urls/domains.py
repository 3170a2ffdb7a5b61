"""Domain rules: registrable domain and public suffix by the Public Suffix List.

Uses tldextract's bundled PSL snapshot, private suffixes included (``alice.github.io`` is its
own registrable domain), and never fetches the list at run time. The PSL's default rule
("*": an unlisted TLD is itself a public suffix) is applied here because tldextract leaves
such hosts without a suffix. IP address hosts are their own registrable domain. Results are
cached per host, since a crawl sees the same few thousand hosts millions of times.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import NamedTuple

import tldextract

_EXTRACT = tldextract.TLDExtract(
    cache_dir=None,
    suffix_list_urls=(),  # bundled snapshot only: no network at run time
    fallback_to_snapshot=True,
    include_psl_private_domains=True,
)


class HostDomains(NamedTuple):
    """The PSL facts about one host."""

    registrable_domain: str | None
    public_suffix: str | None


def is_ip_address(host: str) -> bool:
    """Return True when ``host`` is an IPv4 or (bracketed or bare) IPv6 literal."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@lru_cache(maxsize=262_144)
def host_domains(host: str) -> HostDomains:
    """Return the registrable domain and public suffix of ``host`` (None where there is none).

    >>> host_domains("shop.store-7.co.uk")
    HostDomains(registrable_domain='store-7.co.uk', public_suffix='co.uk')
    >>> host_domains("example.example")  # unlisted TLD: the PSL default rule
    HostDomains(registrable_domain='example.example', public_suffix='example')
    """
    host = host.lower().rstrip(".") if host else host
    if not host or host.startswith(".") or ".." in host:
        return HostDomains(None, None)
    if is_ip_address(host):
        return HostDomains(host, None)
    parts = _EXTRACT(host)
    if parts.suffix:
        if not parts.domain:
            return HostDomains(None, parts.suffix)
        return HostDomains(f"{parts.domain}.{parts.suffix}", parts.suffix)
    labels = host.split(".")
    if len(labels) < 2:
        return HostDomains(None, labels[-1])
    return HostDomains(".".join(labels[-2:]), labels[-1])


def registrable_domain(host: str | None) -> str | None:
    """Return the registrable domain ("eTLD+1") of ``host``, or None if it has none.

    >>> registrable_domain("alice.github.io")
    'alice.github.io'
    """
    if not host:
        return None
    return host_domains(host).registrable_domain


def site_key(host: str | None) -> str | None:
    """Return the site ``host`` belongs to: its registrable domain, else the host itself.

    Hosts without a registrable domain (single-label names such as ``vm``, public suffixes
    such as ``github.io`` or ``co.uk``) are each a site of their own, so page budgets,
    external hops and ``is_external`` hold for them as for any other site.

    >>> site_key("www.news-1.com"), site_key("vm"), site_key("github.io"), site_key(None)
    ('news-1.com', 'vm', 'github.io', None)
    """
    if not host:
        return None
    return host_domains(host).registrable_domain or host.lower().rstrip(".") or None


def site_keys(domains: list[str | None], hosts: list[str | None]) -> list[str | None]:
    """Return the site of each link from its target domain and host columns (see
    :func:`site_key`; the domain column already holds the registrable domains)."""
    return [domain if domain is not None else (host.lower().rstrip(".") if host else None)
            for domain, host in zip(domains, hosts)]  # fmt: skip
