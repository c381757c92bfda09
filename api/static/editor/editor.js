// The SPARQL editor at /: YASQE over the page's textarea, the competency questions as named examples (with a
// form for the values a question lets you bind), and the answer of the API's own /sparql as a table whose
// instance IRIs link to their pages. Everything it asks for is on this origin, by relative URLs, so that the
// page works under a proxy's path too. Text from the graph is only ever set as text (textContent), never as HTML.
"use strict";

(function () {
  const INSTANCES = "https://w3id.org/ctkg/id/";
  const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9, */*;q=0.1";
  const form = document.getElementById("query-form");
  const textarea = document.getElementById("query");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  const table = document.getElementById("results-table");
  const errorBox = document.getElementById("error");
  const runButton = document.getElementById("run");
  const parameters = document.getElementById("parameters");
  const parameterFields = document.getElementById("parameter-fields");
  let prefixes = {};
  let current = null; // the example whose values the form asks for
  let downloads = [];

  const editor = makeEditor();
  performance.mark("ctkg-editor-ready"); // read by bench/first_load.py

  function makeEditor() {
    if (typeof Yasqe === "undefined") {
      return { getValue: () => textarea.value, setValue: (text) => { textarea.value = text; }, focus: () => textarea.focus() };
    }
    const value = textarea.value;
    textarea.remove();
    document.querySelector("label[for=query]").removeAttribute("for");
    const yasqe = new Yasqe(document.getElementById("editor"), {
      value: value,
      persistenceId: null, // the URL, not the browser's storage, says which query the page shows
      consumeShareLink: null,
      createShareableLink: null, // the page's own URL is the link to a query
      showQueryButton: false,
      resizeable: true,
      editorHeight: "18rem",
      prefixCcApi: "prefixes.json",
      autocompleters: ["prefixes", "variables"], // the others ask Linked Open Vocabularies, elsewhere
      screenReaderLabel: "SPARQL query",
      inputStyle: "contenteditable", // typing happens in the scrolled region, which keyboard users then reach
      requestConfig: { endpoint: "sparql" },
    });
    // Ctrl+Enter, YASQE's habit, runs the query through this page (a key map added here wins over YASQE's own).
    yasqe.addKeyMap({ "Ctrl-Enter": () => run(), "Cmd-Enter": () => run() });
    return yasqe;
  }

  function prefixed(iri) {
    for (const [prefix, namespace] of Object.entries(prefixes)) {
      if (iri.startsWith(namespace) && prefix !== "id") {
        return prefix + ":" + iri.slice(namespace.length);
      }
    }
    return iri;
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) {
      return td;
    }
    if (term.type === "uri") {
      if (term.value.startsWith(INSTANCES)) {
        const a = document.createElement("a");
        a.href = "id/" + term.value.slice(INSTANCES.length);
        a.textContent = "id:" + term.value.slice(INSTANCES.length);
        td.appendChild(a);
      } else {
        td.textContent = prefixed(term.value);
        td.title = term.value;
      }
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.textContent = term.value;
      const note = term["xml:lang"] ? "@" + term["xml:lang"] : term.datatype ? prefixed(term.datatype) : "";
      if (note) {
        const small = document.createElement("span");
        small.className = "datatype";
        small.textContent = " " + note;
        td.appendChild(small);
      }
    }
    return td;
  }

  function csvField(text) {
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function toCsv(answer) {
    const names = answer.head.vars;
    const lines = [names.map(csvField).join(",")];
    for (const row of answer.results.bindings) {
      lines.push(names.map((name) => csvField(row[name] ? row[name].value : "")).join(","));
    }
    return lines.join("\r\n") + "\r\n";
  }

  function offer(link, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type: type }));
    downloads.push(url);
    link.href = url;
    link.hidden = false;
  }

  function nameDownload(link, text, file) {
    link.textContent = text;
    link.download = file;
  }

  // The API's message from an error answer: the `detail` of its JSON ({"detail": "..."}), else the text itself.
  function message(body) {
    try {
      const detail = JSON.parse(body).detail;
      if (typeof detail === "string") {
        return detail;
      }
      if (Array.isArray(detail)) {  // FastAPI's validation errors: one entry per parameter
        return detail.map((item) => (item.loc || []).slice(1).join(".") + ": " + item.msg).join("; ");
      }
    } catch {
      // not JSON: shown as it is
    }
    return body.trim();
  }

  function clearAnswer() {
    downloads.forEach((url) => URL.revokeObjectURL(url));
    downloads = [];
    table.replaceChildren();
    results.hidden = true;
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  function showTable(answer, millis) {
    const names = answer.head.vars;
    const caption = document.createElement("caption");
    const rows = answer.results.bindings;
    caption.textContent = rows.length + (rows.length === 1 ? " row" : " rows") + " in " + millis + " ms";
    const head = document.createElement("tr");
    for (const name of names) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    }
    const thead = document.createElement("thead");
    thead.appendChild(head);
    const tbody = document.createElement("tbody");
    for (const row of rows) {
      const tr = document.createElement("tr");
      names.forEach((name) => tr.appendChild(cell(row[name])));
      tbody.appendChild(tr);
    }
    table.replaceChildren(caption, thead, tbody);
    status.textContent = caption.textContent;
  }

  function showText(text, what, millis) {
    const caption = document.createElement("caption");
    caption.textContent = what + " in " + millis + " ms";
    const pre = document.createElement("pre");
    pre.textContent = text;
    const td = document.createElement("td");
    td.appendChild(pre);
    const tr = document.createElement("tr");
    tr.appendChild(td);
    table.replaceChildren(caption, tr);
    status.textContent = caption.textContent;
  }

  function keepInUrl(text) {
    const url = new URL(window.location.href);
    url.search = "";
    url.searchParams.set("query", text);
    window.history.replaceState(null, "", url);
  }

  async function run() {
    const text = editor.getValue();
    keepInUrl(text);
    clearAnswer();
    runButton.disabled = true;
    status.textContent = "Running…";
    const started = performance.now();
    try {
      const response = await fetch("sparql", {
        method: "POST",
        headers: { Accept: ACCEPT, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: text }),
      });
      const body = await response.text();
      const millis = Math.round(performance.now() - started);
      if (!response.ok) {
        status.textContent = "The query was not answered (" + response.status + ").";
        errorBox.textContent = response.status + " " + response.statusText + ": " + message(body);
        errorBox.hidden = false;
        return;
      }
      const type = response.headers.get("Content-Type") || "";
      const whole = document.getElementById("download-json");
      document.getElementById("download-csv").hidden = true;
      if (type.startsWith("application/sparql-results+json")) {
        const answer = JSON.parse(body);
        if ("boolean" in answer) {
          showText(answer.boolean ? "true" : "false", "Answer", millis);
        } else {
          showTable(answer, millis);
          offer(document.getElementById("download-csv"), toCsv(answer), "text/csv");
        }
        nameDownload(whole, "JSON", "ctkg-results.json");
        offer(whole, body, "application/sparql-results+json");
      } else {
        // A CONSTRUCT or DESCRIBE is answered in Turtle (ACCEPT): saved as what it is, not as JSON.
        showText(body, "Triples (Turtle)", millis);
        nameDownload(whole, "Turtle", "ctkg-results.ttl");
        offer(whole, body, type);
      }
      results.hidden = false;
    } catch (failure) {
      status.textContent = "The server could not be reached.";
      errorBox.textContent = String(failure);
      errorBox.hidden = false;
    } finally {
      runButton.disabled = false;
    }
  }

  async function fillChoices(input, path) {
    const response = await fetch(path + "?limit=1000", { headers: { Accept: "application/json" } });
    if (!response.ok) {
      return;
    }
    const list = document.createElement("datalist");
    list.id = input.id + "-choices";
    for (const item of (await response.json()).data) {
      const option = document.createElement("option");
      option.value = "<" + item.iri + ">";
      option.textContent = item.label || item.id || item.iri;
      list.appendChild(option);
    }
    input.setAttribute("list", list.id);
    input.after(list);
  }

  function showParameters(example) {
    current = example;
    parameterFields.replaceChildren();
    parameters.hidden = example.parameters.length === 0;
    for (const parameter of example.parameters) {
      const id = "parameter-" + parameter.name;
      const row = document.createElement("div");
      row.className = "parameter";
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = parameter.label + " (?" + parameter.name + ")";
      const input = document.createElement("input");
      input.id = id;
      input.name = parameter.name;
      if (parameter.input === "boolean") {
        input.type = "checkbox";
        input.value = "true";
        row.append(input, label);
      } else {
        input.type = parameter.input === "date" ? "date" : "text";
        input.placeholder = parameter.placeholder;
        row.append(label, input);
        if (parameter.choices) {
          fillChoices(input, parameter.choices.replace(/^\//, ""));
        }
      }
      parameterFields.appendChild(row);
    }
  }

  async function load(name, values) {
    const url = "examples/" + encodeURIComponent(name) + (values ? "?" + values.toString() : "");
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      errorBox.textContent = response.status + ": " + message(await response.text());
      errorBox.hidden = false;
      return null;
    }
    const example = await response.json();
    editor.setValue(example.query);
    status.textContent = "Loaded “" + example.title + "”; press Run.";
    return example;
  }

  document.querySelectorAll("button.example").forEach((button) => {
    button.addEventListener("click", async () => {
      const example = await load(button.dataset.example, null);
      if (example) {
        showParameters(example);
      }
    });
  });

  document.getElementById("bind").addEventListener("click", () => {
    const values = new URLSearchParams();
    for (const input of parameterFields.querySelectorAll("input")) {
      const value = input.type === "checkbox" ? (input.checked ? "true" : "") : input.value.trim();
      if (value) {
        values.set(input.name, value);
      }
    }
    load(current.name, values);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });

  fetch("prefixes.json").then((response) => response.json()).then((table) => { prefixes = table; });
  if (new URL(window.location.href).searchParams.get("query")) {
    run(); // a link to a query reproduces its answer
  }
})();
