// Connecting the extension to a Brobygger deployment, once: the recruiter gives its address, confirms a code on
// a signed-in page there, and the extension receives a token of its own (listed and revocable in Brobygger's
// settings). The token stays in the extension's storage; no page ever sees it.

const $ = (id) => document.getElementById(id);
let texts = globalThis.brobyggerTexts(null);

function render() {
  for (const element of document.querySelectorAll("[data-text]")) element.textContent = texts[element.dataset.text];
}

function showOnly(id) {
  for (const section of ["connected", "connect", "pending"]) $(section).hidden = section !== id;
}

function deployment(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  const local = ["127.0.0.1", "localhost"].includes(url.hostname);
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) return null;
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

async function api(base, path, init = {}) {
  return fetch(`${base}/api/browser${path}`, { credentials: "omit", ...init });
}

async function load() {
  const stored = await chrome.storage.local.get(["base", "token", "language"]);
  texts = globalThis.brobyggerTexts(stored.language);
  render();
  $("base").value = stored.base || "";
  if (!stored.base || !stored.token) {
    showOnly("connect");
    return;
  }
  const response = await api(stored.base, "/me", { headers: { Authorization: `Bearer ${stored.token}` } })
    .catch(() => null);
  if (response && response.status === 401) {
    await chrome.storage.local.remove(["token"]);
    showOnly("connect");
    return;
  }
  const me = response && response.ok ? await response.json() : null;
  $("who").textContent = me ? `${me.recruiter.name} (${me.tenant})` : stored.base;
  showOnly("connected");
}

async function connect(event) {
  event.preventDefault();
  const base = deployment($("base").value);
  if (!base) {
    $("status").textContent = texts.badAddress;
    return;
  }
  $("status").textContent = "";
  const response = await api(base, "/connections", { method: "POST" }).catch(() => null);
  if (!response || !response.ok) {
    $("status").textContent = texts.offline;
    return;
  }
  const pending = await response.json();
  $("code").textContent = pending.user_code;
  showOnly("pending");
  await chrome.tabs.create({ url: pending.verification_url });
  await waitForConfirmation(base, pending);
}

// Polls until the recruiter has confirmed the code, at the interval Brobygger asks for, and at once when this tab
// is shown again (a browser slows down the timers of a tab in the background).
function waitForConfirmation(base, pending) {
  const until = Date.now() + pending.expires_in * 1000;
  return new Promise((resolve) => {
    let timer = null;
    let busy = false;
    const finish = (text, section) => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
      $("status").textContent = text;
      showOnly(section);
      resolve();
    };
    const poll = async () => {
      if (busy) return;
      busy = true;
      clearTimeout(timer);
      const answer = await api(base, "/tokens", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ device_code: pending.device_code }),
      }).catch(() => null);
      busy = false;
      if (answer && answer.status === 201) {
        const issued = await answer.json();
        await chrome.storage.local.set({ base, token: issued.token, language: issued.recruiter.language });
        texts = globalThis.brobyggerTexts(issued.recruiter.language);
        render();
        $("who").textContent = `${issued.recruiter.name} (${issued.tenant})`;
        finish(texts.connected, "connected");
      } else if ((answer && answer.status !== 202) || Date.now() > until) {
        finish(texts.expired, "connect");
      } else {
        timer = setTimeout(poll, pending.interval * 1000);
      }
    };
    const onVisible = () => document.visibilityState === "visible" && poll();
    document.addEventListener("visibilitychange", onVisible);
    timer = setTimeout(poll, pending.interval * 1000);
  });
}

async function disconnect() {
  const { base, token } = await chrome.storage.local.get(["base", "token"]);
  if (base && token) {
    await api(base, "/token", { method: "DELETE", headers: { Authorization: `Bearer ${token}` } }).catch(() => null);
  }
  await chrome.storage.local.remove(["token"]);
  $("status").textContent = texts.disconnected;
  showOnly("connect");
}

$("connect").addEventListener("submit", connect);
$("disconnect").addEventListener("click", disconnect);
load();
