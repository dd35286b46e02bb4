/* wagtail-communityblog: the members' rich text editor.
 *
 * Progressive enhancement: without JavaScript (or if Quill fails to load) the body stays a
 * plain textarea, and the server sanitises whatever it receives. With it, the textarea is
 * replaced by a Quill editor offering exactly the features the server keeps.
 */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function uploadImage(form, quill, labels) {
    var url = form.getAttribute("data-image-upload-url");
    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = "image/jpeg,image/png,image/gif,image/webp";
    picker.addEventListener("change", function () {
      if (!picker.files.length) return;
      var alt = window.prompt(labels.alt_prompt || "", "") || "";
      var data = new FormData();
      data.append("image", picker.files[0]);
      data.append("alt", alt);
      fetch(url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), Accept: "application/json" },
      })
        .then(function (response) {
          return response.json().then(function (json) {
            if (!response.ok) throw new Error(json.error || labels.upload_failed || "");
            return json;
          });
        })
        .then(function (json) {
          var range = quill.getSelection(true);
          quill.insertEmbed(range.index, "image", json.url, "user");
          var images = quill.root.querySelectorAll('img[src="' + json.url + '"]');
          images.forEach(function (img) { img.setAttribute("alt", json.alt); });
          quill.setSelection(range.index + 1, 0);
        })
        .catch(function (error) { window.alert(error.message); });
    });
    picker.click();
  }

  function enhance(textarea) {
    if (typeof window.Quill === "undefined") return;
    var labels = {};
    try { labels = JSON.parse(textarea.getAttribute("data-communityblog-labels") || "{}"); } catch (e) { labels = {}; }
    var form = textarea.form;
    var holder = document.createElement("div");
    holder.className = "communityblog-editor";
    textarea.parentNode.insertBefore(holder, textarea);
    textarea.hidden = true;

    var quill = new window.Quill(holder, {
      theme: "snow",
      modules: {
        toolbar: {
          container: [
            [{ header: 2 }, { header: 3 }],
            ["bold", "italic"],
            [{ list: "ordered" }, { list: "bullet" }],
            ["blockquote", "link", "image"],
            ["clean"],
          ],
          handlers: { image: function () { uploadImage(form, quill, labels); } },
        },
        // Tab and Shift+Tab move the focus, as everywhere else on the page, instead of typing
        // a tab or indenting: otherwise a keyboard user could not leave the editor (WCAG
        // 2.1.2, No Keyboard Trap). Indents would not survive the server's sanitiser anyway.
        keyboard: {
          bindings: {
            tab: false,
            "remove tab": false,
            "table tab": false,
            indent: false,
            outdent: false,
            "indent code-block": false,
            "outdent code-block": false,
          },
        },
      },
      formats: ["header", "bold", "italic", "list", "blockquote", "link", "image"],
    });
    quill.root.setAttribute("role", "textbox");
    quill.root.setAttribute("aria-multiline", "true");
    var label = form.querySelector('label[for="' + textarea.id + '"]');
    if (label) {
      label.id = label.id || textarea.id + "_label";
      quill.root.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { quill.focus(); });
    }
    // Name the toolbar's buttons for screen readers (Quill gives them only icons).
    holder.parentNode.querySelectorAll(".ql-toolbar button").forEach(function (button) {
      var key = Array.prototype.find.call(button.classList, function (c) { return labels[c]; });
      var text = (button.value && labels[button.value]) || labels[key] || key || "";
      if (button.value === "2" || button.value === "3") text += " " + button.value;
      button.setAttribute("aria-label", text);
    });

    if (textarea.value) {
      quill.clipboard.dangerouslyPasteHTML(textarea.value);
    }
    form.addEventListener("submit", function () {
      textarea.value = quill.getSemanticHTML();
    });
  }

  function tagSuggestions() {
    var input = document.querySelector(".communityblog-post-form input[name=tags]");
    if (!input) return;
    if (document.getElementById("communityblog-tag-suggestions")) {
      input.setAttribute("list", "communityblog-tag-suggestions");
    }
    document.querySelectorAll(".communityblog-tag-suggestion").forEach(function (button) {
      button.addEventListener("click", function () {
        var tags = input.value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
        var tag = button.getAttribute("data-tag");
        if (tags.indexOf(tag) === -1) tags.push(tag);
        input.value = tags.join(", ");
        input.focus();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-communityblog-editor]").forEach(enhance);
    tagSuggestions();
  });
})();
