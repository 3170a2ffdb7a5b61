"""The page work: from a response body to link rows, with no crawl needed.

``encoding`` decodes the body, ``nesting`` bounds a hostile document, ``parsing`` parses it
(lexbor through selectolax), ``page`` extracts the page's facts and links, ``links`` builds the
link columns. Pure functions over bytes and strings: the spider calls them, and so can anything
that has a page in hand.
"""
