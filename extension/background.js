// The extension's background: it alone holds the connection (deployment URL and token) and talks to
// Brobygger. Content scripts ask it what their page is and for a sidebar; it answers from the sender tab's own
// URL, never from what a message claims the page is, and accepts only the few messages below.

import { recognise } from "./pages.js";

const TIMEOUT_MS = 15000;

async function connection() {
  const { base, token } = await chrome.storage.local.get(["base", "token"]);
  return base && token ? { base, token } : null;
}

async function call(path, body) {
  const conn = await connection();
  if (!conn) return { status: "signed-out" };
  let response;
  try {
    response = await fetch(`${conn.base}/api/browser${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${conn.token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return { status: "offline" };
  }
  if (response.status === 401) {
    await chrome.storage.local.remove(["token"]); // revoked or expired: the recruiter connects again
    return { status: "signed-out" };
  }
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) return { status: "error", message: String(answer.message || response.status) };
  return { status: "ok", url: answer.url || null, known: Boolean(answer.known) };
}

// Only a URL on the deployment may be framed: a compromised answer cannot point the panel elsewhere.
async function onDeployment(url) {
  const conn = await connection();
  return Boolean(conn && url && new URL(url).origin === new URL(conn.base).origin);
}

const HANDLERS = {
  // What the sender's page is ({kind, id} or null) and whether the extension is connected.
  async page(_message, page) {
    const { language } = await chrome.storage.local.get(["language"]);
    return { page, connected: Boolean(await connection()), language: language || null };
  },
  // A launch URL for the person the sender's page names.
  async open(_message, page) {
    if (!page) return { status: "error", message: "not a candidate page" };
    const answer = await call("/launches", { kind: page.kind, id: page.id });
    if (answer.url && !(await onDeployment(answer.url))) return { status: "error", message: "unexpected answer" };
    return answer;
  },
  // "Track in Brobygger" on a LinkedIn profile: its name and headline, as the recruiter sees them.
  async track(message, page) {
    if (!page || page.kind !== "linkedin") return { status: "error", message: "not a LinkedIn profile" };
    const name = typeof message.name === "string" ? message.name.slice(0, 200) : "";
    const headline = typeof message.headline === "string" ? message.headline.slice(0, 200) : "";
    const answer = await call("/linkedin", { id: page.id, name, headline });
    if (answer.url && !(await onDeployment(answer.url))) return { status: "error", message: "unexpected answer" };
    return answer;
  },
  // The toggle's "Connect" button: the options page, where the recruiter connects the extension.
  async connect() {
    await chrome.runtime.openOptionsPage();
    return { status: "ok" };
  },
};

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Only our own content scripts, in a tab, with a message we know.
  const handler = message && typeof message.type === "string" && Object.hasOwn(HANDLERS, message.type)
    ? HANDLERS[message.type] : null;
  if (sender.id !== chrome.runtime.id || !sender.tab || !handler) return false;
  const page = recognise(sender.url || sender.tab.url || "");
  handler(message, page).then(reply, () => reply({ status: "error", message: "failed" }));
  return true; // the answer comes asynchronously
});

chrome.action.onClicked.addListener(() => chrome.runtime.openOptionsPage());
