"""Every fact is checked against the text of each source it cites.

For each (fact, cited source) pair, the subject's and the object's label, synonym or search
term (skos:hiddenLabel: how the page names it) must occur in that source's text. Matching
ignores case, punctuation and a plural "s". A source may be exempted for one fact only when
its saved text lost the heading or list that named the entity (column name_lost_in of
data/facts.tsv), and only for sources whose note in sources.tsv says so.
Statistics: the figure as stated (e.g. "5,690", "1 in 1,000") must occur in the cited source.
"""
from __future__ import annotations

import csv
import re

import pytest

from graph_build import paths

WORD = re.compile(r"[a-z0-9]+")
# Statements are paraphrases by design (never copies), checked by the corpus-overlap test instead.
PARAPHRASE_CLASSES = {"PrognosisStatement", "PreventionStatement", "CauseStatement", "EpidemiologyStatement",
                      "ClinicalStatement"}
LITERAL_RELATIONS_CHECKED = {"skos:altLabel", "allkg:brandName"}


def _tokens(text: str) -> list[str]:
    text = text.replace("%", " percent ")
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in WORD.findall(text.lower())]


def _contains(haystack: list[str], needle: str) -> bool:
    words = _tokens(needle)
    if not words:
        return False
    n = len(words)
    return any(haystack[i:i + n] == words for i in range(len(haystack) - n + 1))


@pytest.fixture(scope="module")
def source_tokens(corpus_dir, curated):
    return {sid: _tokens((corpus_dir / s.corpus_file).read_text(encoding="utf-8")) for sid, s in curated.sources.items()}


def test_sources_table_matches_the_corpus(corpus_dir, curated):
    with open(corpus_dir / "sources.tsv", encoding="utf-8") as handle:
        corpus_files = {row["file"] for row in csv.DictReader(handle, delimiter="\t")}
    assert {s.corpus_file for s in curated.sources.values()} == corpus_files


def _named_in(entity, tokens) -> bool:
    return any(_contains(tokens, name) for name in entity.names)


def test_every_fact_names_its_entities_in_each_cited_source(curated, source_tokens):
    failures = []
    for fact in curated.facts:
        cited = {curated.source_of_section(s) for s in fact.sections}
        for source in sorted(cited - set(fact.name_lost_in)):
            tokens = source_tokens[source]
            subject = curated.entities[fact.subject]
            if not _named_in(subject, tokens):
                failures.append(f"{fact.id}: subject {subject.id} not named in {source}")
            if fact.object in curated.entities:
                obj = curated.entities[fact.object]
                if not set(obj.types) & PARAPHRASE_CLASSES and not _named_in(obj, tokens):
                    failures.append(f"{fact.id}: object {obj.id} not named in {source}")
            elif fact.relation in LITERAL_RELATIONS_CHECKED and not _contains(tokens, fact.object):
                failures.append(f"{fact.id}: '{fact.object}' not in {source}")
    assert failures == []


def test_name_lost_exemptions_only_for_sources_that_lost_text(curated):
    lost_text_sources = {sid for sid, s in curated.sources.items() if "lost" in s.note.lower()}
    assert lost_text_sources == {"harvard", "moffitt"}
    used = {source for fact in curated.facts for source in fact.name_lost_in}
    assert used <= lost_text_sources


def test_every_statistic_figure_is_stated_by_its_source(curated, source_tokens):
    for stat in curated.statistics:
        for source in {curated.source_of_section(s) for s in stat.sections}:
            assert _contains(source_tokens[source], stat.stated_as), (stat.id, source, stat.stated_as)


def test_no_file_repeats_the_corpus_word_for_word(corpus_dir):
    import subprocess
    import sys

    tool = corpus_dir.parent / "tools" / "corpus_overlap.py"
    if not tool.exists():
        pytest.skip("corpus_overlap.py not found beside the corpus")
    result = subprocess.run([sys.executable, str(tool), "--repo", str(paths.PROJECT_ROOT)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
