// The page: sign in, then the history sidebar and the open conversation, with the
// address bar (/ or /chat/<id>) saying which conversation is open. Embedded in another
// application the same page lives under /embed/<organization id>/ and signs in by
// redeeming a single-use embed session (/embed/login?sessionId=...) or a signed
// standard SSO URL (/embed/login?payload=... as Omni's SDK builds it, or
// /embed/<organization id>/login?payload=...).

import { ApiError, call, configure } from "./api.js";
import { clear, h } from "./dom.js";
import { createHistory } from "./history.js";
import * as sessions from "./session.js";
import { createThread } from "./thread.js";
import { refreshTimes } from "./times.js";

const $ = (id) => document.getElementById(id);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MODEL_KEY = "parley.model";
const NARROW = window.matchMedia("(max-width: 48rem)");

let history = null;
let thread = null;

// Where the page lives: "" on its own, "/embed/<organization id>" when embedded (the
// server lets only that organization's allowed origins frame those paths).
const EMBEDDED = location.pathname.match(/^\/embed\/([0-9a-f-]{36})(?=\/|$)/i);
const BASE = EMBEDDED ? `/embed/${EMBEDDED[1]}` : "";

function conversationInPath() {
  const match = location.pathname.slice(BASE.length).match(/^\/chat\/([^/]+)\/?$/);
  return match ? decodeURIComponent(match[1]) : null;
}

// A link may carry a question to ask (generate-query's workbookUrl): it fills the
// prompt box and picks the model, and leaves the address bar.
function takeLinkedPrompt() {
  const params = new URLSearchParams(location.search);
  const text = params.get("prompt");
  const model = params.get("model");
  if (model) {
    sessionStorage.setItem(MODEL_KEY, model);
    $("model").value = model;
  }
  if (text) $("prompt").value = text;
  if (text || model) window.history.replaceState({}, "", location.pathname);
}

// A standard SSO login URL (/embed/<organization id>/login?...&signature=..., or
// /embed/login?payload=...&signature=...): its query goes back to the same path, where
// the server checks the signature and spends the nonce.
const SIGNED_LOGIN = /^\/embed\/[0-9a-f-]{36}\/login$/i;

async function redeemEmbedSession() {
  const signed =
    SIGNED_LOGIN.test(location.pathname) || new URLSearchParams(location.search).has("payload");
  const sessionId = new URLSearchParams(location.search).get("sessionId") || "";
  let redeemed;
  try {
    const response = await fetch(signed ? location.pathname : "/embed/redeem", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(signed ? { query: location.search.slice(1) } : { sessionId }),
    });
    redeemed = await response.json();
    if (!response.ok) throw new Error(redeemed.detail || `HTTP ${response.status}`);
  } catch (failure) {
    window.history.replaceState({}, "", "/");
    showSignIn(`This sign-in link cannot be used: ${failure.message}`);
    return;
  }
  const who = await call("/api/v1/whoami", { token: redeemed.token });
  sessions.save({ token: redeemed.token, actAs: null, who });
  location.replace(`/embed/${redeemed.organizationId}${redeemed.contentPath}`);
}

function showSignIn(message = "") {
  sessions.forget();
  configure(null);
  $("sign-in").hidden = false;
  $("chat").hidden = true;
  $("history").hidden = true;
  $("session-tools").hidden = true;
  $("menu-toggle").hidden = true;
  $("sign-in-error").textContent = message;
  document.title = "Sign in · Parley";
  $("token").focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  const actAs = $("act-as").value.trim();
  const error = $("sign-in-error");
  error.textContent = "";
  if (actAs && !UUID.test(actAs)) {
    error.textContent = "A membership ID looks like 8-4-4-4-12 hexadecimal digits.";
    $("act-as").focus();
    return;
  }
  let who;
  try {
    who = await call("/api/v1/whoami", { token });
  } catch (failure) {
    error.textContent =
      failure instanceof ApiError && failure.status === 401
        ? "That token was not accepted. Check that it is complete and not revoked."
        : `Could not sign in: ${failure.message}`;
    $("token").focus();
    return;
  }
  if (actAs && who.keyScope !== "organization") {
    error.textContent = "Only an organization key can act as another member; leave that field empty.";
    $("act-as").focus();
    return;
  }
  $("token").value = "";
  sessions.save({ token, actAs: actAs || null, who });
  await start(sessions.load());
}

function describe(session) {
  const who = session.who || {};
  if (who.keyScope === "organization") {
    return session.actAs ? `Organization key, acting as ${session.actAs.slice(0, 8)}…` : "Organization key";
  }
  const role = who.user?.role === "ORG_ADMIN" ? "admin" : "member";
  return `Personal token (${role})`;
}

async function loadModels() {
  const select = $("model");
  clear(select);
  try {
    const models = await call("/api/v1/models", { params: { pageSize: 100 } });
    const saved = sessionStorage.getItem(MODEL_KEY);
    for (const model of models.records) {
      select.append(h("option", { value: model.id, selected: model.id === saved }, model.name));
    }
    if (!models.records.length) select.append(h("option", { value: "" }, "No models"));
  } catch (error) {
    select.append(h("option", { value: "" }, "Models unavailable"));
  }
}

function setDrawer(open) {
  document.body.classList.toggle("history-open", open);
  $("menu-toggle").setAttribute("aria-expanded", String(open));
}

function route() {
  const id = conversationInPath();
  history.setActive(id);
  if (id) thread.open(id);
  else thread.startNew();
}

function navigate(path) {
  if (location.pathname !== path) window.history.pushState({}, "", path);
}

async function start(session) {
  configure(session, () => showSignIn("Your token stopped working. Sign in again."));
  $("sign-in").hidden = true;
  $("chat").hidden = false;
  $("history").hidden = false;
  $("session-tools").hidden = false;
  $("menu-toggle").hidden = false;
  $("who").textContent = describe(session);
  await loadModels();
  if (!thread) {
    thread = createThread({
      modelId: () => $("model").value,
      onNavigate(id) {
        navigate(`${BASE}/chat/${id}`);
        history.setActive(id);
      },
      onChanged() {
        history.reload().then(() => history.setActive(thread.current()));
      },
    });
    history = createHistory({
      onOpen(id) {
        navigate(`${BASE}/chat/${id}`);
        if (NARROW.matches) setDrawer(false);
        route();
        thread.focusPrompt();
      },
      onDeleted(id) {
        if (thread.current() === id) {
          navigate(`${BASE}/`);
          route();
        }
      },
      onRenamed(id, name) {
        thread.renamed(id, name);
      },
    });
  }
  history.reload();
  route();
  takeLinkedPrompt();
  thread.focusPrompt();
}

function wire() {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => {
    // A fresh page load drops every conversation, chart and request of this session.
    sessions.forget();
    location.assign(`${BASE}/`);
  });
  $("model").addEventListener("change", (event) => sessionStorage.setItem(MODEL_KEY, event.target.value));
  $("new-chat").addEventListener("click", () => {
    navigate(`${BASE}/`);
    if (NARROW.matches) setDrawer(false);
    route();
    thread.focusPrompt();
  });
  $("menu-toggle").addEventListener("click", () => {
    const open = !document.body.classList.contains("history-open");
    setDrawer(open);
    if (open) $("new-chat").focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("history-open") && NARROW.matches) {
      setDrawer(false);
      $("menu-toggle").focus();
    }
  });
  window.addEventListener("popstate", () => {
    if (thread) route();
  });
  setInterval(() => refreshTimes(), 60_000);
}

wire();
const saved = sessions.load();
if (location.pathname === "/embed/login" || SIGNED_LOGIN.test(location.pathname)) {
  redeemEmbedSession();
} else if (saved) start(saved);
else showSignIn();
