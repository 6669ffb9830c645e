"""`allkg publish`: load the built graph into a triple store over the SPARQL 1.1 Graph Store Protocol.

Steps:
1. Parse the file locally (pyoxigraph; no network) and count its triples, so a broken file is
   refused before the store is touched.
2. Replace the target graph:
   - staged swap (when a SPARQL Update endpoint is known): PUT the file into a fresh staging
     graph, then one update `MOVE SILENT GRAPH <staging> TO GRAPH <target>` (or `TO DEFAULT`).
     A SPARQL update request is applied as a whole, so readers see the old graph or the new
     one, never a half-loaded graph, and a failed upload leaves the target untouched.
   - otherwise a single GSP `PUT URL?graph=IRI` (or `?default`). The protocol defines PUT as
     replacing the graph in one request; whether readers can see the graph between the clear
     and the load depends on the store (Oxigraph clears, then loads), which is why the swap is
     used whenever the update endpoint is known.
3. Verify: count the triples of the target graph through the query endpoint, when known.

Endpoints are derived for the two common layouts when not given: Oxigraph (/store, /query,
/update) and Apache Jena Fuseki (/DATASET/data, /DATASET/sparql, /DATASET/update).
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from graph_build.errors import CheckFailed, InputError

DEFAULT_GRAPH_IRI = "https://w3id.org/allkg/allkg.owl"
USER_AGENT = "allkg-publish"
_IRI_OK = re.compile(r'^[A-Za-z][A-Za-z0-9+.\-]*:[^<>"{}|^`\\\x00-\x20]*$')
# GSP endpoint path -> (query endpoint path, update endpoint path), for known stores.
_KNOWN_LAYOUTS = (("/store", "/query", "/update"), ("/data", "/sparql", "/update"))


@dataclass
class PublishOptions:
    store_url: str
    file: Path
    graph: str | None = DEFAULT_GRAPH_IRI  # None: the store's default graph
    query_endpoint: str | None = None
    update_endpoint: str | None = None
    derive_endpoints: bool = True
    swap: bool = True  # stage + MOVE when an update endpoint is known
    timeout: float = 120.0


@dataclass
class PublishResult:
    triples: int
    graph: str | None
    method: str  # 'staged swap (MOVE)' or 'single PUT'
    verified: int | None
    query_endpoint: str | None

    def as_text(self, store_url: str, file: Path) -> str:
        target = f"graph <{self.graph}>" if self.graph else "the default graph"
        check = (f"verified: {self.verified} triples in {target} via {self.query_endpoint}"
                 if self.verified is not None else "not verified (no query endpoint known: give --query-endpoint)")
        return f"published {self.triples} triples from {file} to {target} at {store_url} by {self.method}; {check}"


def _check_url(url: str, option: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{option} '{url}': expected an http:// or https:// URL")
    return url


def derive_endpoints(store_url: str) -> tuple[str | None, str | None]:
    """(query endpoint, update endpoint) for a GSP URL of a known layout, else (None, None)."""
    parts = urllib.parse.urlsplit(store_url)
    path = parts.path.rstrip("/")
    for gsp, query, update in _KNOWN_LAYOUTS:
        if path.endswith(gsp):
            stem = path[: -len(gsp)]
            make = lambda tail: urllib.parse.urlunsplit((parts.scheme, parts.netloc, stem + tail, "", ""))  # noqa: E731
            return make(query), make(update)
    return None, None


def _with_params(url: str, params: dict[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = "&".join(p for p in (parts.query, urllib.parse.urlencode(params).replace("default=", "default")) if p)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _request(method: str, url: str, *, body: bytes | None = None, content_type: str | None = None,
             accept: str | None = None, timeout: float, what: str) -> bytes:
    headers = {"User-Agent": USER_AGENT}
    if content_type:
        headers["Content-Type"] = content_type
    if accept:
        headers["Accept"] = accept
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's store
            return response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{what}: {method} {url} answered HTTP {exc.code}"
                         + (f": {detail[0][:300]}" if detail else "")) from None
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(f"{what}: cannot reach {url} ({getattr(exc, 'reason', exc)})") from None


def count_triples(query_endpoint: str, graph: str | None, timeout: float) -> int:
    pattern = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
    data = _request("POST", query_endpoint, body=query.encode("utf-8"),
                    content_type="application/sparql-query; charset=utf-8",
                    accept="application/sparql-results+json", timeout=timeout, what="verify")
    try:
        return int(json.loads(data)["results"]["bindings"][0]["n"]["value"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise InputError(f"verify: {query_endpoint} gave an answer that is not SPARQL JSON with a count") from None


def _read_graph(path: Path) -> tuple[bytes, str, int]:
    """The file's bytes, its media type and its triple count (parsed locally: no network)."""
    import pyoxigraph as ox

    from graph_build.rdf_io import format_for

    if not path.is_file():
        raise InputError(f"{path}: no such file" + (" (run `allkg build` first)" if path.name == "allkg.ttl" else ""))
    rdf_format = format_for(path)
    data = path.read_bytes()
    try:
        count = sum(1 for _ in ox.parse(data, format=rdf_format, base_iri=path.resolve().as_uri()))
    except SyntaxError as exc:
        raise InputError(f"{path}:{exc.lineno or 1}: syntax error: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    if count == 0:
        raise InputError(f"{path}: contains no RDF statements; refusing to replace the graph with nothing")
    return data, rdf_format.media_type, count


def publish(options: PublishOptions, log: Callable[[str], None] = lambda message: None) -> PublishResult:
    store_url = _check_url(options.store_url, "--store")
    if options.graph is not None and not _IRI_OK.match(options.graph):
        raise InputError(f"--graph '{options.graph}': not an absolute IRI")
    query_endpoint, update_endpoint = options.query_endpoint, options.update_endpoint
    if options.derive_endpoints:
        derived_query, derived_update = derive_endpoints(store_url)
        query_endpoint = query_endpoint or derived_query
        update_endpoint = update_endpoint or derived_update
    for url, option in ((query_endpoint, "--query-endpoint"), (update_endpoint, "--update-endpoint")):
        if url:
            _check_url(url, option)

    data, media_type, triples = _read_graph(options.file)
    log(f"read {triples} triples from {options.file}")
    target_params = {"graph": options.graph} if options.graph else {"default": ""}

    if options.swap and update_endpoint:
        staging = f"urn:allkg:staging:{uuid.uuid4()}"
        _request("PUT", _with_params(store_url, {"graph": staging}), body=data, content_type=media_type,
                 timeout=options.timeout, what="upload to the staging graph")
        target = f"GRAPH <{options.graph}>" if options.graph else "DEFAULT"
        try:
            if query_endpoint:
                staged = count_triples(query_endpoint, staging, options.timeout)
                if staged != triples:
                    raise CheckFailed(f"the staging graph <{staging}> holds {staged} triples, expected {triples}; "
                                      "the target graph was not changed")
            _request("POST", update_endpoint, body=f"MOVE SILENT GRAPH <{staging}> TO {target}".encode("utf-8"),
                     content_type="application/sparql-update; charset=utf-8", timeout=options.timeout,
                     what="swap the staging graph in")
        except BaseException:
            try:  # leave no staging graph behind
                _request("POST", update_endpoint, body=f"DROP SILENT GRAPH <{staging}>".encode("utf-8"),
                         content_type="application/sparql-update; charset=utf-8", timeout=options.timeout,
                         what="drop the staging graph")
            except InputError:
                pass
            raise
        method = f"staged upload and one SPARQL update (MOVE) at {update_endpoint}"
    else:
        _request("PUT", _with_params(store_url, target_params), body=data, content_type=media_type,
                 timeout=options.timeout, what="upload")
        method = "a single Graph Store Protocol PUT"

    verified = None
    if query_endpoint:
        verified = count_triples(query_endpoint, options.graph, options.timeout)
        if options.graph and verified != triples:
            raise CheckFailed(f"the store reports {verified} triples in <{options.graph}>, expected {triples}")
    return PublishResult(triples, options.graph, method, verified, query_endpoint)
