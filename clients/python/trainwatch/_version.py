# The npm package's version (package.json), the one source: test_packaging.py fails when they differ.
__version__ = "0.1.0"
