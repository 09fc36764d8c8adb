// The message page. While the author (or the reader) types, the tone panel follows: 300 ms after the last key the
// subject and text go to POST /messages/tone (JSON, the CSRF token in a header) and the score and flags are drawn
// again; an answer that comes after a newer request is dropped. Picking LinkedIn shows "Copy and log as sent",
// which copies the text to the clipboard and then posts the form; ticking "important" says at once whether a
// colleague must read it now. Everything works without this script too.
(function () {
  "use strict";
  var DELAY = 300;

  function byId(id) { return document.getElementById(id); }

  function csrfToken() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function element(tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text !== undefined) { made.textContent = text; }
    return made;
  }

  function kindLabels() {
    var labels = {};
    Array.prototype.forEach.call(document.querySelectorAll("#tone-kinds li"), function (item) {
      labels[item.dataset.kind] = item.textContent;
    });
    return labels;
  }

  function draw(report, labels) {
    byId("tone-score").textContent = String(report.score);
    var meter = byId("tone-meter");
    meter.value = report.score;
    meter.textContent = String(report.score);
    var list = byId("tone-flags");
    list.textContent = "";
    report.flags.forEach(function (flag) {
      var item = element("li");
      item.appendChild(element("mark", "", flag.text));
      item.appendChild(document.createTextNode(" "));
      item.appendChild(element("span", "badge", labels[flag.kind] || flag.kind));
      item.appendChild(element("p", "why", flag.why));
      item.appendChild(element("p", "suggestion", flag.suggestion));
      list.appendChild(item);
    });
    byId("tone-none").hidden = report.flags.length > 0;
  }

  function startTone(panel) {
    var subject = byId("subject"), body = byId("body");
    if (!body) { return; }
    var labels = kindLabels(), timer = null, latest = 0;

    function text() {
      var head = subject ? subject.value : "";
      return head.trim() ? head + "\n\n" + body.value : body.value;
    }

    function check() {
      var mine = ++latest;
      fetch(panel.dataset.url, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken()},
        body: JSON.stringify({text: text(), language: panel.dataset.language})
      }).then(function (response) {
        if (!response.ok) { throw new Error("tone check " + response.status); }
        return response.json();
      }).then(function (report) {
        if (mine === latest) { draw(report, labels); }
      }).catch(function () { /* the last panel stays; the next key tries again */ });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, DELAY);
    }

    body.addEventListener("input", later);
    if (subject) { subject.addEventListener("input", later); }
  }

  function startChannel() {
    var email = byId("send-email"), linkedin = byId("send-linkedin");
    var radios = document.querySelectorAll('input[name="channel"]');
    if (!radios.length) { return; }
    function follow() {
      var picked = document.querySelector('input[name="channel"]:checked');
      var onLinkedIn = Boolean(picked && picked.value === "linkedin");
      if (email) { email.hidden = onLinkedIn; }
      if (linkedin) { linkedin.hidden = !onLinkedIn; }
    }
    Array.prototype.forEach.call(radios, function (radio) { radio.addEventListener("change", follow); });
    follow();
  }

  // Ticking "important" where the team's rule asks a reader for important messages: say so, and offer only
  // the review, at once (the server decides again on every POST).
  function startRule() {
    var box = byId("important"), rule = byId("review-rule"), needed = byId("review-needed");
    var free = byId("review-free"), buttons = byId("send-buttons");
    if (!box || !rule || !needed || !free) { return; }
    box.addEventListener("change", function () {
      var needs = rule.dataset.unmarked === "yes" || (rule.dataset.important === "yes" && box.checked);
      needed.hidden = !needs;
      free.hidden = needs;
      if (buttons) { buttons.hidden = needs; }
    });
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var body = byId("body");
      body.focus();
      body.select();
      try {
        if (document.execCommand("copy")) { resolve(); } else { reject(new Error("not copied")); }
      } catch (problem) { reject(problem); }
    });
  }

  function startCopy() {
    var button = byId("send-linkedin"), form = byId("compose"), body = byId("body"), status = byId("copy-status");
    if (!button || !form || !body) { return; }
    var copied = false;
    button.addEventListener("click", function (event) {
      if (copied) { return; }  // copied already, or copied by hand after a refusal: post the form as it is
      event.preventDefault();
      copied = true;
      copy(body.value).then(function () {
        form.requestSubmit(button);
      }, function () {
        body.focus();
        body.select();
        status.textContent = button.dataset.failed;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = byId("tone");
    if (panel) { startTone(panel); }
    startChannel();
    startRule();
    startCopy();
  });
}());
