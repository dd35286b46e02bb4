/* wagtail-communityblog: comments without page reloads.
 *
 * Every comment control is a plain form or link that works without JavaScript. This script
 * sends the same forms with fetch(), asks for JSON, and updates the discussion in place:
 * a reply form opens under the comment, new comments appear where they belong, and
 * recommendations update their button. Results are announced in the discussion's aria-live
 * region. Safe to include more than once.
 */
(function () {
  "use strict";
  if (window.communityblogComments) return;
  window.communityblogComments = true;
  var counter = 0;

  function section(node) {
    return node.closest && node.closest("[data-communityblog-comments]");
  }

  function announce(root, text) {
    var status = root.querySelector("[data-comments-status]");
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  function send(form, root, submitter) {
    var body = new FormData(form);
    if (submitter && submitter.name) body.set(submitter.name, submitter.value);
    form.setAttribute("aria-busy", "true");
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { ok: response.ok, data: data }; },
          function () {
            return { ok: false, data: { error: root.getAttribute("data-error-message") + " (" + response.status + ")" } };
          }
        );
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.data.error || root.getAttribute("data-error-message"));
        return result.data;
      })
      .finally(function () { form.removeAttribute("aria-busy"); });
  }

  function insertComment(root, data) {
    var holder = document.createElement("div");
    holder.innerHTML = data.html.trim();
    var item = holder.firstElementChild;
    var list = null;
    if (data.parent_id) {
      var parent = document.getElementById("comment-" + data.parent_id);
      list = parent && parent.querySelector(":scope > .communityblog-comment-replies");
    }
    if (!list) {
      list = root.querySelector("[data-comment-list]");
      if (!list) {
        list = document.createElement("ol");
        list.className = "communityblog-comment-list";
        list.setAttribute("data-comment-list", "");
        var empty = root.querySelector(".communityblog-comment-empty");
        if (empty) empty.replaceWith(list); else root.appendChild(list);
      }
    }
    list.hidden = false;
    list.appendChild(item);
    var article = item.querySelector("article") || item;
    article.setAttribute("tabindex", "-1");
    article.focus();
  }

  function updateDiscussion(root, data) {
    var heading = root.querySelector("#comments-heading");
    if (heading && data.count_label) heading.textContent = data.count_label;
    var follow = root.querySelector("[data-comment-follow]");
    if (follow && typeof data.following === "boolean") {
      var button = follow.querySelector("button");
      follow.querySelector("input[name=follow]").value = data.following ? "0" : "1";
      button.setAttribute("aria-pressed", data.following ? "true" : "false");
      button.textContent = follow.getAttribute(data.following ? "data-label-unfollow" : "data-label-follow");
    }
  }

  function openReply(link, root) {
    var item = link.closest(".communityblog-comment");
    var existing = item.querySelector(":scope > [data-comment-form]");
    if (existing) { existing.querySelector("textarea").focus(); return; }
    var template = root.querySelector("[data-comment-form]");
    if (!template) { window.location.href = link.href; return; }
    var form = template.cloneNode(true);
    var id = "comment-body-reply-" + (++counter);
    form.action = link.href;
    form.setAttribute("data-reply-form", "");
    var label = form.querySelector("label");
    var textarea = form.querySelector("textarea");
    label.textContent = link.getAttribute("aria-label") || link.textContent;
    label.setAttribute("for", id);
    textarea.id = id;
    textarea.value = "";
    var help = form.querySelector(".communityblog-help");
    if (help) { help.id = id + "-help"; textarea.setAttribute("aria-describedby", help.id); }
    var submit = form.querySelector("button[type=submit]");
    submit.textContent = root.getAttribute("data-reply-submit") || submit.textContent;
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = root.getAttribute("data-cancel-label") || "Cancel";
    cancel.addEventListener("click", function () { form.remove(); link.focus(); });
    form.appendChild(cancel);
    var replies = item.querySelector(":scope > .communityblog-comment-replies");
    item.insertBefore(form, replies);
    textarea.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-comment-reply]");
    var root = link && section(link);
    if (!root || !window.fetch) return;
    event.preventDefault();
    openReply(link, root);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var root = section(form);
    if (!root || !window.fetch) return;
    if (form.hasAttribute("data-comment-form")) {
      event.preventDefault();
      send(form, root, event.submitter)
        .then(function (data) {
          insertComment(root, data);
          updateDiscussion(root, data);
          announce(root, data.message);
          if (form.hasAttribute("data-reply-form")) form.remove();
          else form.querySelector("textarea").value = "";
        })
        .catch(function (error) {
          announce(root, error.message);
          var textarea = form.querySelector("textarea");
          if (textarea) { textarea.setAttribute("aria-invalid", "true"); textarea.focus(); }
        });
    } else if (form.hasAttribute("data-comment-follow")) {
      event.preventDefault();
      send(form, root, event.submitter)
        .then(function (data) {
          updateDiscussion(root, data);
          announce(root, data.message);
        })
        .catch(function (error) { announce(root, error.message); });
    } else if (form.hasAttribute("data-comment-recommend")) {
      event.preventDefault();
      var button = form.querySelector("button");
      send(form, root, event.submitter)
        .then(function (data) {
          button.setAttribute("aria-pressed", data.recommended ? "true" : "false");
          form.querySelector("input[name=value]").value = data.recommended ? "0" : "1";
          var count = form.querySelector("[data-recommend-count]");
          if (count) count.textContent = data.recommend_count;
          announce(root, data.message);
        })
        .catch(function (error) { announce(root, error.message); })
        .finally(function () { button.focus(); });
    }
  });
})();
