// On a candidate page (or a LinkedIn profile): a toggle that opens Brobygger's sidebar in a panel beside the
// page. The panel is in a shadow root, so the page's styles neither reach it nor break it, and the sidebar
// itself is a frame of the Brobygger deployment, which the page cannot read. Nothing of the page is read but
// its URL (by the background script), and on LinkedIn, only when "Track in Brobygger" is pressed, the name
// and headline the recruiter sees.

(() => {
  const HOST_ID = "brobygger-extension";
  let current = null; // {kind, id} of the page the toggle is for
  let lastUrl = "";
  let texts = globalThis.brobyggerTexts(null);
  let root = null; // the shadow root
  let open = false;

  const ask = (message) => chrome.runtime.sendMessage(message).catch(() => ({ status: "offline" }));

  function build() {
    const host = document.createElement("div");
    host.id = HOST_ID;
    host.style.cssText = "all: initial; position: fixed; z-index: 2147483647; right: 16px; bottom: 16px;";
    root = host.attachShadow({ mode: "open" });
    root.innerHTML = `
      <style>
        :host { font: 14px/1.4 system-ui, sans-serif; color: #1d2433; }
        button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid #2f5d8a; padding: 6px 12px; }
        .toggle { background: #2f5d8a; color: #fff; box-shadow: 0 2px 8px rgba(0,0,0,.25); }
        .toggle:focus-visible, button:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }
        .panel { position: fixed; top: 0; right: 0; width: 420px; max-width: 100vw; height: 100vh; background: #fff;
                 box-shadow: -2px 0 12px rgba(0,0,0,.2); display: flex; flex-direction: column; }
        .panel[hidden] { display: none; }
        header { display: flex; justify-content: space-between; align-items: center; padding: 8px 12px;
                 border-bottom: 1px solid #d5dbe3; }
        h2 { font-size: 15px; margin: 0; }
        .body { flex: 1; overflow: auto; }
        .note { padding: 16px; }
        iframe { border: 0; width: 100%; height: 100%; }
        .primary { background: #2f5d8a; color: #fff; }
        .close { background: #fff; color: #2f5d8a; }
      </style>
      <button type="button" class="toggle" aria-expanded="false" aria-controls="bb-panel"></button>
      <section class="panel" id="bb-panel" role="complementary" hidden>
        <header><h2></h2><button type="button" class="close"></button></header>
        <div class="body"></div>
      </section>`;
    root.querySelector(".toggle").addEventListener("click", () => (open ? close() : show()));
    root.querySelector(".close").addEventListener("click", close);
    document.documentElement.append(host);
    label();
  }

  function label() {
    root.querySelector(".toggle").textContent = texts.toggle;
    root.querySelector("h2").textContent = texts.title;
    root.querySelector(".close").textContent = texts.close;
  }

  function remove() {
    document.getElementById(HOST_ID)?.remove();
    root = null;
    open = false;
  }

  function body(...nodes) {
    const target = root.querySelector(".body");
    target.replaceChildren(...nodes);
  }

  function note(text, button) {
    const box = document.createElement("div");
    box.className = "note";
    const paragraph = document.createElement("p");
    paragraph.textContent = text;
    box.append(paragraph);
    if (button) box.append(button);
    return box;
  }

  function button(text, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "primary";
    element.textContent = text;
    element.addEventListener("click", onClick);
    return element;
  }

  function frame(url) {
    const element = document.createElement("iframe");
    element.title = "Brobygger";
    element.src = url;
    body(element);
  }

  function answered(answer) {
    if (answer.status === "signed-out") {
      body(note(texts.signedOut, button(texts.connect, () => ask({ type: "connect" }))));
    } else if (answer.status === "offline") {
      body(note(texts.offline));
    } else if (answer.status !== "ok") {
      body(note(`${texts.failed} ${answer.message || ""}`));
    } else if (answer.url) {
      frame(answer.url);
    } else {
      body(note(texts.trackIntro, button(texts.track, track)));
    }
  }

  async function show() {
    open = true;
    root.querySelector(".panel").hidden = false;
    root.querySelector(".toggle").setAttribute("aria-expanded", "true");
    body(note(texts.loading));
    answered(await ask({ type: "open" }));
  }

  function close() {
    open = false;
    root.querySelector(".panel").hidden = true;
    root.querySelector(".toggle").setAttribute("aria-expanded", "false");
    body();
    root.querySelector(".toggle").focus();
  }

  // LinkedIn's profile: the name is the page's heading, the headline the line under it.
  function profile() {
    const heading = document.querySelector("main h1, h1");
    const headline = document.querySelector(".text-body-medium");
    return { name: heading?.textContent.trim() || "", headline: headline?.textContent.trim() || "" };
  }

  async function track() {
    body(note(texts.loading));
    answered(await ask({ type: "track", ...profile() }));
  }

  async function check() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    const answer = await ask({ type: "page" });
    const page = answer && answer.page;
    texts = globalThis.brobyggerTexts(answer && answer.language);
    if (!page) {
      current = null;
      remove();
      return;
    }
    const changed = !current || current.kind !== page.kind || current.id !== page.id;
    current = page;
    if (!root) build();
    label();
    if (changed && open) show(); // the ATS moved to another candidate: the panel follows
  }

  check();
  // ATS pages are single-page apps: a new candidate is a new URL without a new document.
  setInterval(check, 700);
})();
