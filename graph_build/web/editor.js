// ALL-KG query editor: sends the query to /sparql and shows the answer as a table.
// Plain JavaScript served by the project (no remote scripts); text is always inserted with
// textContent, never as HTML, so nothing in a result can run as code.
(function () {
  "use strict";
  var BASE = "https://w3id.org/allkg/";
  var form = document.getElementById("query-form");
  var textarea = document.getElementById("query");
  var library = document.getElementById("library");
  var format = document.getElementById("format");
  var statusLine = document.getElementById("status");
  var results = document.getElementById("results");

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  // Graph IRIs link to this server's page of the resource; other http(s) IRIs link out.
  function cellFor(term) {
    var td = el("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      var a = el("a", term.value);
      if (term.value.indexOf(BASE) === 0) {
        a.href = "/" + term.value.substring(BASE.length);
      } else if (/^https?:\/\//.test(term.value)) {
        a.href = term.value;
        a.rel = "noopener noreferrer";
      } else {
        return el("td", term.value);
      }
      td.appendChild(a);
      return td;
    }
    td.textContent = term.type === "bnode" ? "_:" + term.value : term.value;
    if (term["xml:lang"]) { td.appendChild(el("span", " @" + term["xml:lang"], "note")); }
    return td;
  }

  function showTable(data) {
    results.textContent = "";
    if (typeof data.boolean === "boolean") {
      results.appendChild(el("p", "Answer: " + (data.boolean ? "yes (true)" : "no (false)"), "answer"));
      return 1;
    }
    var vars = data.head.vars || [];
    var rows = data.results.bindings || [];
    var table = el("table", null, "results");
    var thead = el("thead");
    var headRow = el("tr");
    vars.forEach(function (v) { headRow.appendChild(el("th", v)); });
    thead.appendChild(headRow);
    table.appendChild(thead);
    var tbody = el("tbody");
    rows.forEach(function (binding) {
      var tr = el("tr");
      vars.forEach(function (v) { tr.appendChild(cellFor(binding[v])); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    results.appendChild(table);
    return rows.length;
  }

  function run(event) {
    var chosen = format.value;
    if (chosen !== "") { return; } // a raw format: let the browser post the form itself
    if (event) { event.preventDefault(); }
    statusLine.textContent = "Running…";
    results.textContent = "";
    var started = Date.now();
    fetch("/sparql", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json, text/turtle;q=0.9"
      },
      body: new URLSearchParams({ query: textarea.value })
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      return response.text().then(function (text) {
        var ms = Date.now() - started;
        if (!response.ok) {
          statusLine.textContent = "Error " + response.status + " (" + ms + " ms)";
          results.appendChild(el("pre", text, "error"));
          return;
        }
        if (type.indexOf("json") >= 0) {
          var count = showTable(JSON.parse(text));
          statusLine.textContent = count + (count === 1 ? " row" : " rows") + " (" + ms + " ms)";
        } else {
          results.appendChild(el("pre", text, "graph"));
          statusLine.textContent = "Graph result (" + ms + " ms)";
        }
      });
    }).catch(function (error) {
      statusLine.textContent = "The request failed: " + error;
    });
  }

  function loadLibraryQuery(name) {
    return fetch("/queries/" + encodeURIComponent(name) + ".rq").then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    }).then(function (text) {
      textarea.value = text;
      results.textContent = "";
      statusLine.textContent = "";
    }).catch(function (error) {
      statusLine.textContent = "Could not load the query: " + error;
    });
  }

  form.addEventListener("submit", run);
  library.addEventListener("change", function () { loadLibraryQuery(library.value); });
  var wanted = new URLSearchParams(window.location.search).get("query");
  if (wanted) { library.value = wanted; }
  window.allkgRun = run; // lets a test (or the console) run the current query
})();
