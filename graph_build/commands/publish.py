"""`allkg publish`: load the built graph into a SPARQL 1.1 Graph Store Protocol store (placeholder)."""
from __future__ import annotations


def register(subparsers) -> None:
    pass
