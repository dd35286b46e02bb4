/* wagtail-communityblog: voting without a page reload.
 *
 * The rating widget is a plain form that works without JavaScript. This script sends the same
 * form with fetch(), asks for JSON, updates the widget in place and announces the result in
 * the widget's aria-live region. Safe to include more than once.
 */
(function () {
  "use strict";
  if (window.communityblogRating) return;
  window.communityblogRating = true;

  function update(widget, data) {
    var summary = widget.querySelector(".communityblog-rating-score");
    if (summary && data.label) summary.textContent = data.label;
    widget.querySelectorAll("button[data-vote]").forEach(function (button) {
      var vote = button.getAttribute("data-vote");
      var pressed = String(data.value) === vote;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.value = pressed ? "0" : vote;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var widget = form.closest && form.closest("[data-communityblog-rating]");
    if (!widget || !window.fetch) return;
    event.preventDefault();
    var button = event.submitter;
    // URL-encoded, as the form itself would send it: cheaper for the server to read than
    // FormData's multipart (the form holds no file).
    var body = new URLSearchParams(new FormData(form));
    if (button && button.name) body.set(button.name, button.value);
    var status = widget.querySelector("[data-rating-status]");
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { ok: response.ok, data: data }; },
          function () {
            // Not JSON (e.g. a proxy's or CSRF error page): say so plainly.
            var fallback = widget.getAttribute("data-error-message") || "Your vote was not recorded.";
            return { ok: false, data: { error: fallback + " (" + response.status + ")" } };
          }
        );
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.data.error || "Your vote was not recorded.");
        update(widget, result.data);
        status.textContent = result.data.message || result.data.label || "";
      })
      .catch(function (error) {
        status.textContent = error.message || widget.getAttribute("data-error-message") || "";
      })
      .finally(function () {
        form.removeAttribute("aria-busy");
        if (button) button.focus();
      });
  });
})();
