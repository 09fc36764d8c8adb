// The queue without reloads. j/k move between rows; d marks the focused row done, s snoozes it a week; u undoes
// the last of those for 10 seconds; ? shows the keys. The row forms work without this script (they post and
// come back); with it, the same forms go out with fetch(), the row leaves and focus moves to the next one.
(function () {
  "use strict";
  var UNDO_MS = 10000;
  var busy = false;   // one request at a time: a second d while the first is out does nothing
  var last = null;    // the last done or snooze: {row, parent, before, section, url, at}
  var status, message, undoButton, hideTimer;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.row")); }
  function rowOf(element) { return element && element.closest ? element.closest("tr.row") : null; }

  function focusRow(row) {
    if (!row) { return; }
    rows().forEach(function (r) { r.tabIndex = -1; });
    row.tabIndex = 0;
    row.focus();
    row.scrollIntoView({block: "nearest"});
  }

  function move(step) {
    var list = rows(), index = list.indexOf(rowOf(document.activeElement));
    if (!list.length) { return; }
    focusRow(list[index < 0 ? 0 : Math.max(0, Math.min(list.length - 1, index + step))]);
  }

  function say(text, undoable) {
    message.textContent = text;
    undoButton.hidden = !undoable;
    status.classList.add("shown");
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(function () {
      status.classList.remove("shown");
      undoButton.hidden = true;
    }, undoable ? UNDO_MS : 6000);
  }

  function setBusy(row, on) {
    busy = on;
    var buttons = row ? row.querySelectorAll("button, summary") : [];
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = on; b.setAttribute("aria-disabled", on); });
    undoButton.disabled = on;
  }

  function recount(section, delta) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-count="' + section + '"]'), function (el) {
      el.textContent = String(Math.max(0, parseInt(el.textContent, 10) + delta));
    });
    var box = document.getElementById(section);
    var left = box.querySelectorAll("tr.row").length;
    box.querySelector("table.qrows").hidden = left === 0;
    box.querySelector("p.empty").hidden = left !== 0;
  }

  // POST a form (with the button that sent it) and read the JSON answer; anything but JSON means the
  // session or the server wants a page: then the form is sent the ordinary way.
  function post(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    return fetch(form.action, {method: "POST", body: data, credentials: "same-origin",
                               headers: {"Accept": "application/json"}})
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) { throw {page: true}; }
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      });
  }

  function submitPlainly(form, submitter) {
    if (submitter && submitter.name) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = submitter.name;
      field.value = submitter.value;
      form.appendChild(field);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function act(form, submitter) {
    var row = rowOf(form) || rowOf(submitter);
    if (busy || !row) { return; }
    setBusy(row, true);
    post(form, submitter).then(function (answer) {
      setBusy(row, false);
      if (!answer.ok) { say(answer.body.message); return; }
      leave(row, answer.body);
    }).catch(function (problem) {
      setBusy(row, false);
      if (problem && problem.page) { submitPlainly(form, submitter); return; }
      say(status.dataset.failed);
    });
  }

  function leave(row, body) {
    var list = rows(), index = list.indexOf(row);
    var next = list[index + 1] || list[index - 1] || null;
    var hadFocus = row.contains(document.activeElement) || document.activeElement === document.body;
    var section = row.dataset.section;
    var menu = row.querySelector("details[open]");
    if (menu) { menu.open = false; }
    last = body.undo_url ? {row: row, parent: row.parentNode, before: row.nextSibling, section: section,
                            url: body.undo_url, at: Date.now()} : null;
    row.parentNode.removeChild(row);
    recount(section, -1);
    if (next && hadFocus) { focusRow(next); }
    say(body.message, Boolean(last));
  }

  function undo() {
    if (busy) { return; }
    if (!last) { say(status.dataset.nothing); return; }
    var taken = last, form = document.createElement("form");
    form.action = taken.url;
    var token = document.querySelector('input[name="csrf_token"]');
    form.appendChild(token.cloneNode());
    setBusy(null, true);
    post(form, null).then(function (answer) {
      setBusy(null, false);
      if (!answer.ok) { last = null; say(answer.body.message); return; }
      last = null;
      taken.parent.insertBefore(taken.row, taken.before && taken.before.parentNode === taken.parent ? taken.before : null);
      recount(taken.section, 1);
      focusRow(taken.row);
      say(answer.body.message);
    }).catch(function () {
      setBusy(null, false);
      say(status.dataset.failed);
    });
  }

  function openKeys() {
    var dialog = document.getElementById("keys");
    if (!dialog.open) {
      var back = rowOf(document.activeElement);
      dialog.addEventListener("close", function restore() {
        dialog.removeEventListener("close", restore);
        if (back && back.isConnected) { focusRow(back); }
      });
      dialog.showModal();
    }
  }

  function typing(target) {
    return /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) || target.isContentEditable;
  }

  function onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target) ||
        document.getElementById("keys").open) { return; }
    var row = rowOf(document.activeElement);
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "d": case "s":
        if (!row) { return; }
        var button = row.querySelector('[data-action="' + (event.key === "d" ? "done" : "snooze") + '"]');
        if (button) { act(button.form, button); } else { say(status.dataset.noFollowup); }
        break;
      case "u": undo(); break;
      case "?": openKeys(); break;
      case "Escape":
        var menu = document.querySelector("details.menu[open]");
        if (!menu) { return; }
        menu.open = false;
        focusRow(rowOf(menu));
        break;
      default: return;
    }
    event.preventDefault();
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.queueAction) { return; }  // reschedule and filters: a new page
    event.preventDefault();
    act(form, event.submitter);
  }

  document.addEventListener("DOMContentLoaded", function () {
    status = document.getElementById("qstatus");
    if (!status) { return; }
    message = status.querySelector(".msg");
    undoButton = status.querySelector("button.undo");
    undoButton.addEventListener("click", undo);
    var keys = document.getElementById("keys-open");
    keys.hidden = false;
    keys.addEventListener("click", openKeys);
    document.addEventListener("keydown", onKey);
    document.addEventListener("submit", onSubmit);
    var list = rows();
    if (list.length) { list[0].tabIndex = 0; }
    // Clicking a row (not a control in it) makes it the row the keys act on.
    document.addEventListener("click", function (event) {
      var row = rowOf(event.target);
      if (row && !event.target.closest("a, button, summary, input, select, label, details")) { focusRow(row); }
    });
  });
}());
