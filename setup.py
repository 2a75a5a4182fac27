"""The compiled parts of newsqa, both optional: retrieval._fields (retrieval/_fields.c) and
retrieval.ingest._scan (retrieval/ingest/_scan.c).

Everything else is declared in pyproject.toml. Where no C compiler is found the build goes on
without them: retrieval.analyse uses the same rule written in Python, and the staleness check
compares the folder's listing with the manifest's row by row, as it did before.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("retrieval._fields", ["retrieval/_fields.c"], optional=True),
        Extension("retrieval.ingest._scan", ["retrieval/ingest/_scan.c"], optional=True),
    ]
)
