// The sidebar's quick actions without a page reload. The session token from the page's meta tag goes in an
// Authorization header (never a cookie, so it works in a cross-site iframe and cannot be forged by CSRF);
// the answer carries the re-rendered sidebar body, which replaces the old one. A form's buttons are disabled
// while its request is in flight, so a double click sends one request (the server also answers a repeat
// within seconds without doing it twice). When tracking starts, the new token goes into the meta tag and
// into the address (replaceState), so that a reload of the frame opens the tracked person.
(function () {
  "use strict";

  function token() {
    var meta = document.querySelector('meta[name="brobygger-token"]');
    return meta ? meta.content : "";
  }

  function setToken(value) {
    var meta = document.querySelector('meta[name="brobygger-token"]');
    if (meta) { meta.content = value; }
  }

  function payload(form, submitter) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "submit" || el.type === "button") { return; }
      if (el.type === "checkbox") { data[el.name] = el.checked; return; }
      if (el.value !== "") { data[el.name] = el.value; }
    });
    if (submitter && submitter.name) {
      data[submitter.name] = submitter.value;
      if (submitter.name === "preset") { delete data.due_on; }
    }
    return data;
  }

  function describe(body) {
    // The server's message says what to do, in the recruiter's language.
    return body && body.message ? body.message : "The action failed.";
  }

  function busy(form, on) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
      button.disabled = on;
      if (on) { button.setAttribute("aria-busy", "true"); } else { button.removeAttribute("aria-busy"); }
    });
    if (on) { form.setAttribute("data-busy", "1"); } else { form.removeAttribute("data-busy"); }
  }

  function announce(message) {
    var region = document.getElementById("announce");
    region.textContent = "";
    window.setTimeout(function () { region.textContent = message; }, 30);
  }

  function refocus(action) {
    // Back where the recruiter was: the action's (now closed) section, else the top of the sidebar.
    var form = document.querySelector('form[data-sidebar="' + action + '"]');
    var target = form && (form.querySelector("summary") || form.querySelector("input:not([type=hidden]), select, button"));
    (target || document.getElementById("sidebar-root")).focus();
  }

  function send(form, submitter) {
    var action = form.getAttribute("data-sidebar");
    var error = form.querySelector(".form-error");
    var sent = JSON.stringify(payload(form, submitter));  // read before the buttons are disabled
    if (error) { error.textContent = ""; }
    busy(form, true);
    fetch(form.action, {
      method: "POST",
      credentials: "omit",
      headers: {"Authorization": "Bearer " + token(), "Content-Type": "application/json", "Accept": "application/json"},
      body: sent
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (!result.ok) { throw result.body; }
      if (result.body.token) { setToken(result.body.token); }
      if (result.body.url) { window.history.replaceState(null, "", result.body.url); }
      if (result.body.html) { document.getElementById("sidebar-root").innerHTML = result.body.html; }
      busy(form, false);
      announce(result.body.message);
      refocus(action);
    }).catch(function (body) {
      busy(form, false);
      if (submitter) { submitter.focus(); }  // disabling it took the focus away
      if (error) { error.textContent = describe(body); } else { announce(describe(body)); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-sidebar")) { return; }
    event.preventDefault();
    if (form.hasAttribute("data-busy")) { return; }  // Enter pressed again while the request is in flight
    send(form, event.submitter);
  });
}());
