// The deploy wizard's as-you-type checks: names against AWS's limits, and
// the names derived from the service name kept in step; a warning before
// leaving a step with unsaved edits; the JSON view kept to the form as it
// stands; the load balancer's and HTTPS's fields shown only when their box
// is ticked. The server checks and keeps everything again; without this
// script nothing is lost but the early hints.
(function () {
  "use strict";
  var rules = {
    "ecs-name": function (v) {
      if (v === "") return "";
      if (v.length > 255) return "at most 255 characters";
      if (!/^[A-Za-z0-9_-]+$/.test(v)) return "only letters, digits, hyphens and underscores";
      return "";
    },
    "elb-name": function (v) {
      if (v === "") return "";
      if (v.length > 32) return v.length + " characters; AWS allows at most 32";
      if (!/^[A-Za-z0-9-]+$/.test(v)) return "only letters, digits and hyphens";
      if (v[0] === "-" || v[v.length - 1] === "-") return "must not begin or end with a hyphen";
      return "";
    }
  };
  function hint(input, msg) {
    var el = input.parentNode.querySelector(".check-hint");
    if (!msg) {
      if (el) el.remove();
      return;
    }
    if (!el) {
      el = document.createElement("small");
      el.className = "check-hint bad";
      el.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", el);
    }
    el.textContent = msg;
  }
  function check(input) {
    var rule = rules[input.getAttribute("data-check")];
    if (!rule) return;
    // An empty derived field is checked with the name it will get.
    var v = input.value || (input.hasAttribute("data-derived") ? input.placeholder : "");
    var msg = rule(v);
    hint(input, msg ? (input.value ? "" : "\u201c" + v + "\u201d: ") + msg : "");
  }
  function derive(service) {
    var form = service.form;
    var name = service.value || service.placeholder;
    var set = function (key, value) {
      var el = form.querySelector('[data-derived="' + key + '"]');
      if (el) {
        el.placeholder = value;
        check(el);
      }
    };
    set("sg", name + "-tasks");
    set("lb", name);
    set("tg", name);
  }
  document.addEventListener("input", function (event) {
    var t = event.target;
    if (!t.matches) return;
    if (t.matches("[data-check]")) check(t);
    if (t.matches("[data-derives]")) derive(t);
  });
  // Unsaved edits: a step's form remembers that it was edited, until it is
  // submitted (Next, a step's pill, an in-step button all save).
  var dirty = false, submitting = false;
  function watched(t) {
    return t.form && t.form.hasAttribute("data-unsaved-warning") && t.name && t.name !== "tdjsonBase";
  }
  document.addEventListener("input", function (event) {
    if (watched(event.target)) dirty = true;
  });
  document.addEventListener("change", function (event) {
    if (watched(event.target)) dirty = true;
    if (event.target.matches && event.target.matches("input[type=checkbox]")) shownBy();
  });
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute("data-unsaved-warning")) submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  // A new page, or a step swapped in by htmx after a submit: nothing in it
  // is unsaved yet.
  function fresh() {
    dirty = false;
    submitting = false;
  }
  window.addEventListener("pageshow", fresh);
  document.addEventListener("htmx:afterSettle", fresh);
  // The JSON view shows the form as it stands: opened, it asks the server
  // (without saving) for the task definition the form makes now, unless
  // its own text was edited.
  function refreshJSON(details) {
    var area = details.querySelector("[data-json-view]");
    var base = details.querySelector("input[name=tdjsonBase]");
    if (!area || !base || area.value.trim() !== base.value.trim()) return;
    var body = new URLSearchParams(new FormData(area.form));
    body.set("op", "preview");
    fetch(area.form.action, {method: "POST", body: body, headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text !== null && area.value.trim() === base.value.trim()) {
          area.value = text;
          base.value = text;
        }
      });
  }
  document.addEventListener("toggle", function (event) {
    var t = event.target;
    if (t.matches && t.matches("details.json-view") && t.open) refreshJSON(t);
  }, true);
  // Fields that only count with a box ticked are hidden while it is not;
  // hidden, they still post what they hold, so unticking loses nothing.
  function shownBy() {
    document.querySelectorAll("[data-shown-by]").forEach(function (el) {
      var box = document.querySelector('input[name="' + el.getAttribute("data-shown-by") + '"]');
      if (box) el.hidden = !box.checked;
    });
  }
  function scan() {
    document.querySelectorAll("[data-check]").forEach(check);
    shownBy();
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
})();
