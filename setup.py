"""The one compiled part of newsqa: retrieval._fields (optional; see retrieval/_fields.c).

Everything else is declared in pyproject.toml. Where no C compiler is found the build goes on
without it and retrieval.analyse uses the same rule written in Python.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("retrieval._fields", ["retrieval/_fields.c"], optional=True)])
