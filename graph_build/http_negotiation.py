"""HTTP content negotiation for the SPARQL endpoint and the linked-data pages (RFC 9110 Accept).

A `?format=` parameter (a short name or a media type) wins over the Accept header, so a plain
link or a browser form can ask for CSV. When the client accepts anything (`*/*`, or no Accept
header) the first offer is used; when it accepts none of the offers, the caller answers 406.
"""
from __future__ import annotations

# Short names for ?format=, and aliases clients send, mapped to the media type we answer with.
FORMAT_ALIASES: dict[str, str] = {
    "json": "application/sparql-results+json",
    "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "html": "text/html",
}
MEDIA_ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-json+ld": "application/ld+json",
    "application/xhtml+xml": "text/html",
}
# For graph results (CONSTRUCT/DESCRIBE), JSON means JSON-LD.
GRAPH_MEDIA_ALIASES: dict[str, str] = {
    "application/json": "application/ld+json",
    "application/sparql-results+json": "application/ld+json",
    "json": "application/ld+json",
}

SELECT_OFFERS = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
GRAPH_OFFERS = ("text/turtle", "application/n-triples", "application/ld+json")


class NotAcceptable(ValueError):
    """None of the offered media types is acceptable; the message lists what is offered."""


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, in the order given (malformed parts are skipped)."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality))
    return ranges or [("*/*", 1.0)]


def _canonical(media: str, graph: bool) -> str:
    if graph and media in GRAPH_MEDIA_ALIASES:
        return GRAPH_MEDIA_ALIASES[media]
    return MEDIA_ALIASES.get(media, media)


def choose(accept: str | None, offers: tuple[str, ...], format_param: str | None = None,
           graph: bool = False) -> str:
    """The media type to answer with, from `offers` (server preference order)."""
    if format_param:
        key = format_param.strip().lower()
        wanted = GRAPH_MEDIA_ALIASES.get(key) if graph and key in GRAPH_MEDIA_ALIASES else None
        wanted = wanted or FORMAT_ALIASES.get(key) or _canonical(key, graph)
        if wanted in offers:
            return wanted
        raise NotAcceptable(f"format '{format_param}' is not available here (use one of: {', '.join(offers)})")
    best: tuple[float, int, int, str] | None = None
    for media, quality in parse_accept(accept):
        if quality <= 0:
            continue
        if media == "*/*":
            candidates, specificity = list(offers), 0
        elif media.endswith("/*"):
            candidates, specificity = [offer for offer in offers if offer.startswith(media[:-1])], 1
        else:
            canonical = _canonical(media, graph)
            candidates, specificity = ([canonical] if canonical in offers else []), 2
        for candidate in candidates:
            # Higher q wins; on a tie, a type the client named over a wildcard, then our preference.
            rank = (quality, specificity, -offers.index(candidate), candidate)
            if best is None or rank[:3] > best[:3]:
                best = rank
    if best is None:
        raise NotAcceptable(f"none of the accepted media types ({accept}) is available (offered: {', '.join(offers)})")
    return best[3]
