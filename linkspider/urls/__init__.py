"""URLs and domains: normalization and resolution (``normalize``), registrable domains and
site keys by the Public Suffix List (``domains``)."""
