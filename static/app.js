// ecsconsole's own script: small enhancements on pages that already work
// without it. Loaded as a file (the CSP allows no inline script).
(function () {
  "use strict";
  // Forms with data-confirm ask before submitting (htmx requests use hx-confirm).
  document.addEventListener("submit", function (event) {
    var msg = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      event.preventDefault();
    }
  }, true);
  // Buttons with data-copy copy the element they name: its data-value (a
  // full ARN shown short) or else its text.
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-copy]");
    if (!target) return;
    var source = document.getElementById(target.getAttribute("data-copy"));
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.getAttribute("data-value") || source.textContent.trim()).then(function () {
        target.textContent = "Copied";
      });
    }
  });
})();
