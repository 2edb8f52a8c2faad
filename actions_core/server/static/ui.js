// actions-core UI: small enhancements only. Every flow also works as plain form posts.
"use strict";
(function () {
  function controllerValue(form, name) {
    var found = null;
    form.querySelectorAll("[name]").forEach(function (el) {
      if (el.name !== name || el.disabled) return;
      if (el.type === "checkbox") found = el.checked ? "true" : "false";
      else if (el.type !== "hidden" || found === null) found = el.value;
    });
    return found;
  }

  function applyConditions(form) {
    form.querySelectorAll("[data-when]").forEach(function (box) {
      var values = JSON.parse(box.getAttribute("data-when-values") || "[]");
      var show = values.indexOf(controllerValue(form, box.getAttribute("data-when"))) >= 0;
      box.hidden = !show;
      if (form.hasAttribute("data-readonly")) return;
      box.querySelectorAll("input, select, textarea, fieldset").forEach(function (el) {
        el.disabled = !show;
      });
    });
  }

  function jsonProblem(area) {
    var label = area.labels && area.labels[0] ? area.labels[0].firstChild.textContent.trim() : "Body";
    if (!area.value.trim()) return area.hasAttribute("data-required") ? label + " is required." : "";
    try { JSON.parse(area.value); } catch (e) { return label + " does not have a valid JSON format."; }
    return "";
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function success() {
    var callout = el("p", "callout success");
    callout.appendChild(el("b", null, "Test was successful"));
    callout.appendChild(document.createElement("br"));
    callout.appendChild(document.createTextNode("Ensure the results are what you expect."));
    return callout;
  }

  function failure(message, details) {
    var box = el("div", "callout danger");
    box.setAttribute("role", "alert");
    box.appendChild(el("p")).appendChild(el("b", null, "Test failed to run"));
    box.appendChild(el("p", null, "The following error was found:"));
    box.appendChild(el("p", null, message || "")).id = "test-error";
    if (details) {
      box.appendChild(el("p", null, "Details:"));
      box.appendChild(el("p", null, details)).id = "test-details";
    }
    return box;
  }

  function liveRun(form, live) {
    live.textContent = "";
    live.hidden = false;
    live.appendChild(el("h2", null, "Results"));
    var status = live.appendChild(el("p", "callout info", "Running the test…"));
    status.setAttribute("role", "status");
    var body = new URLSearchParams(new FormData(form));
    return fetch(form.getAttribute("data-live"), {
      method: "POST", body: body, credentials: "same-origin",
    }).then(function (response) {
      if (response.headers.get("X-Test-Result") !== "stream") {
        return response.json().then(function (data) {
          if (data.ok) {
            live.replaceChild(success(), status);
            live.appendChild(el("h3", null, "Response"));
            live.appendChild(el("pre", "code", data.response)).id = "test-response";
          } else {
            live.replaceChild(failure(data.message, data.service_message), status);
          }
        });
      }
      status.textContent = "Streaming the response…";
      live.appendChild(el("h3", null, "Response"));
      var out = live.appendChild(el("pre", "code", ""));
      out.id = "test-response";
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      function pump() {
        return reader.read().then(function (part) {
          if (part.done) {
            var failed = /^event: error\ndata: (.*)$/m.exec(out.textContent);
            if (failed) {
              var error = {};
              try { error = JSON.parse(failed[1]); } catch (e) { error = {}; }
              live.replaceChild(failure(error.message, error.service_message), status);
            } else {
              live.replaceChild(success(), status);
            }
            return;
          }
          out.textContent += decoder.decode(part.value, { stream: true });
          return pump();
        });
      }
      return pump();
    }).catch(function (err) {
      live.replaceChild(failure("The test could not be run.", String(err)), status);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // fields that depend on another field (if/then in the schema)
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-when]")) return;
      applyConditions(form);
      form.addEventListener("change", function () {
        applyConditions(form);
        // the page now shows the fields of the new values: say so to the server
        form.querySelectorAll("[data-shown-for]").forEach(function (shown) {
          shown.value = controllerValue(form, shown.getAttribute("data-shown-for")) || "";
        });
      });
    });

    // key/value rows: "Add header"
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.addEventListener("click", function () {
        var rows = button.parentNode.querySelectorAll(".kv-row");
        var copy = rows[rows.length - 1].cloneNode(true);
        copy.querySelectorAll("input").forEach(function (i) { i.value = ""; });
        button.parentNode.insertBefore(copy, button);
        copy.querySelector("input").focus();
      });
    });

    // unsaved changes: ask before leaving, and no test run until saved
    var dirty = false;
    var run = document.getElementById("run");
    var runHelp = document.getElementById("run-help");
    var testForm = document.getElementById("test-form");
    function updateRun() {
      if (!run) return;
      var problem = "";
      if (testForm) {
        testForm.querySelectorAll("textarea[data-json]").forEach(function (area) {
          if (!problem && !area.disabled) problem = jsonProblem(area);
        });
      }
      if (dirty && document.getElementById("config-form")) problem = "Save your changes before testing the connector.";
      run.disabled = !!problem;
      if (runHelp) { runHelp.hidden = !problem; runHelp.textContent = problem; }
    }
    document.querySelectorAll("form[data-dirty-guard]").forEach(function (form) {
      form.addEventListener("input", function () { dirty = true; updateRun(); });
      form.addEventListener("submit", function () { dirty = false; });
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
    if (testForm) testForm.addEventListener("input", updateRun);
    updateRun();

    // Run without a reload: a streaming result shows its text as it arrives
    var live = document.getElementById("live-result");
    if (testForm && live && window.fetch && window.TextDecoder && testForm.hasAttribute("data-live")) {
      testForm.addEventListener("submit", function (event) {
        event.preventDefault();
        if (run.disabled) return;
        run.disabled = true;
        var previous = document.getElementById("server-result");
        if (previous) previous.remove();
        liveRun(testForm, live).then(updateRun, updateRun);
      });
    }

    // tabs switch without a reload (so unsaved edits stay)
    document.querySelectorAll("[data-tabs]").forEach(function (list) {
      var tabs = list.querySelectorAll("[role=tab]");
      tabs.forEach(function (tab) {
        tab.addEventListener("click", function (event) {
          event.preventDefault();
          tabs.forEach(function (other) {
            var on = other === tab;
            other.setAttribute("aria-selected", on ? "true" : "false");
            var panel = document.getElementById(other.getAttribute("aria-controls"));
            if (panel) panel.hidden = !on;
          });
          history.replaceState(null, "", tab.getAttribute("href"));
          updateRun();
        });
      });
    });

    // "Delete {count}" for the selected rows
    var bulk = document.getElementById("bulk-delete");
    if (bulk) {
      var boxes = document.querySelectorAll('#bulk input[name="ids"]');
      var count = function () {
        var n = 0;
        boxes.forEach(function (box) { if (box.checked) n += 1; });
        bulk.textContent = "Delete " + n;
        bulk.disabled = n === 0;
        bulk.hidden = n === 0;
      };
      boxes.forEach(function (box) { box.addEventListener("change", count); });
      count();
    }

    // the type picker's search filters as you type
    document.querySelectorAll("input[data-filter]").forEach(function (input) {
      input.addEventListener("input", function () {
        var needle = input.value.trim().toLowerCase();
        document.querySelectorAll(input.getAttribute("data-filter")).forEach(function (b) {
          b.hidden = needle !== "" && (b.getAttribute("data-text") || "").indexOf(needle) < 0;
        });
      });
    });
  });
})();
