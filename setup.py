# Only for `scrapyd-deploy`, which builds its egg with `python setup.py bdist_egg` and would
# otherwise write a setup.py of its own here. Everything is declared in pyproject.toml.
from setuptools import setup

setup()
