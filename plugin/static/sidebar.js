// The sidebar's quick actions without a page reload. The session token from the page's meta tag goes in an
// Authorization header (never a cookie, so it works in a cross-site iframe and cannot be forged by CSRF);
// the answer carries the re-rendered sidebar body, which replaces the old one.
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
    var text = body && body.message ? body.message : "The action failed.";
    var errors = body && body.errors ? body.errors : {};
    Object.keys(errors).forEach(function (field) {
      text += " " + [].concat(errors[field]).join(" ");
    });
    return text;
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
    if (error) { error.textContent = ""; }
    if (submitter) { submitter.setAttribute("aria-busy", "true"); }
    fetch(form.action, {
      method: "POST",
      credentials: "omit",
      headers: {"Authorization": "Bearer " + token(), "Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(payload(form, submitter))
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (!result.ok) { throw result.body; }
      if (result.body.token) { setToken(result.body.token); }
      document.getElementById("sidebar-root").innerHTML = result.body.html;
      announce(result.body.message);
      refocus(action);
    }).catch(function (body) {
      if (submitter) { submitter.removeAttribute("aria-busy"); }
      if (error) { error.textContent = describe(body); } else { announce(describe(body)); }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-sidebar")) { return; }
    event.preventDefault();
    send(form, event.submitter);
  });
}());
