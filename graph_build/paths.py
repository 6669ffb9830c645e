"""Where the project's inputs and outputs live. Environment variables override the defaults."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "allkg.ttl"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
IMPORTS_DIR = ONTOLOGY_DIR / "imports"
QUERIES_DIR = PROJECT_ROOT / "queries"


def dist_dir() -> Path:
    """Output folder of `allkg build` (ALLKG_DIST overrides)."""
    return Path(os.environ.get("ALLKG_DIST", PROJECT_ROOT / "dist"))


def built_graph_file() -> Path:
    return dist_dir() / "allkg.ttl"


def corpus_dir() -> Path:
    """The five source pages (ALLKG_CORPUS overrides; default ../shared/corpus)."""
    return Path(os.environ.get("ALLKG_CORPUS", PROJECT_ROOT.parent / "shared" / "corpus"))


def reference_dir() -> Path:
    """External ontology term tables (ALLKG_REFERENCE overrides; default ../shared/reference)."""
    return Path(os.environ.get("ALLKG_REFERENCE", PROJECT_ROOT.parent / "shared" / "reference"))
