// The deploy wizard's as-you-type checks: names against AWS's limits, and
// the names derived from the service name kept in step. The server checks
// everything again; without this script nothing is lost but the early hint.
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
  function scan() {
    document.querySelectorAll("[data-check]").forEach(check);
  }
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
})();
