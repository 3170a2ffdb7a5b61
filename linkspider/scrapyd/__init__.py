"""Scrapyd: deploying the project (``deploy``) and checking a Scrapyd job's output (``check``)."""
