// The history sidebar: conversations newest first, loaded page by page through
// pageInfo.nextCursor as the list scrolls, with search, rename and delete.

import { actingAs, call } from "./api.js";
import { PENCIL, TRASH, clear, h, icon } from "./dom.js";
import { ago, exactTime } from "./times.js";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

export function createHistory({ onOpen, onDeleted, onRenamed }) {
  const list = $("history-list");
  const total = $("history-total");
  const status = $("history-status");
  const more = $("load-more");
  const search = $("search");
  const scroller = $("history-scroller");
  const dialog = $("confirm-delete");
  let cursor = null;
  let loading = false;
  let query = "";
  let generation = 0; // bumped by every reload, so answers to an older search are dropped
  let activeId = null;
  let count = 0;

  const titleOf = (c) => c.name || c.lastUserPrompt || "Untitled conversation";

  function showTotal() {
    const noun = count === 1 ? "conversation" : "conversations";
    total.textContent = query
      ? `${count.toLocaleString("en")} ${noun} matching “${query}”`
      : `${count.toLocaleString("en")} ${noun}`;
  }

  function item(conversation) {
    const title = titleOf(conversation);
    const link = h(
      "a",
      { href: `/chat/${conversation.id}`, class: "conversation-link", "aria-current": conversation.id === activeId ? "page" : null },
      h("span", { class: conversation.name ? "title" : "title unnamed" }, title),
      h("time", { datetime: conversation.updatedAt, title: exactTime(conversation.updatedAt), "data-relative": true }, ago(conversation.updatedAt)),
    );
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      onOpen(conversation.id);
    });
    const rename = h("button", { type: "button", class: "icon-button", "aria-label": `Rename “${title}”`, title: "Rename" }, icon(PENCIL));
    const remove = h("button", { type: "button", class: "icon-button", "aria-label": `Delete “${title}”`, title: "Delete" }, icon(TRASH));
    const li = h("li", { class: "conversation", "data-id": conversation.id }, link, h("span", { class: "item-actions" }, rename, remove));
    rename.addEventListener("click", () => startRename(li, conversation));
    remove.addEventListener("click", () => confirmDelete(li, conversation));
    return li;
  }

  async function loadPage() {
    if (loading) return;
    const mine = generation;
    loading = true;
    status.textContent = "Loading conversations…";
    more.hidden = true;
    try {
      const page = await call("/api/v1/ai/conversations", {
        params: { pageSize: PAGE_SIZE, cursor, q: query || null, ...actingAs() },
      });
      if (mine !== generation) return;
      // A conversation that moved to the front during the walk is already listed.
      const known = new Set([...list.children].map((li) => li.dataset.id));
      list.append(...page.data.filter((c) => !known.has(c.id)).map(item));
      cursor = page.pageInfo.nextCursor;
      count = page.pageInfo.totalRecords;
      showTotal();
      status.textContent = cursor ? "" : list.children.length ? "" : query ? "No conversation matches." : "No conversations yet.";
      more.hidden = !cursor;
    } catch (error) {
      if (mine === generation) {
        status.textContent = `Could not load conversations: ${error.message}`;
        more.hidden = false;
      }
    } finally {
      if (mine === generation) loading = false;
    }
  }

  function reload() {
    generation += 1;
    loading = false;
    cursor = null;
    clear(list);
    return loadPage();
  }

  // The "Load more" button is also the infinite-scroll trigger: when it scrolls into
  // view the next page loads by itself; keyboard users can press it.
  new IntersectionObserver(
    (entries) => {
      if (entries.some((entry) => entry.isIntersecting) && cursor && !loading) loadPage();
    },
    { root: scroller, rootMargin: "200px" },
  ).observe(more);
  more.addEventListener("click", () => loadPage());

  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const next = search.value.trim();
      if (next !== query) {
        query = next;
        reload();
      }
    }, SEARCH_DELAY_MS);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    query = search.value.trim();
    reload();
  });

  function startRename(li, conversation) {
    const link = li.querySelector(".conversation-link");
    const actions = li.querySelector(".item-actions");
    const inputId = `rename-${conversation.id}`;
    const input = h("input", { id: inputId, type: "text", value: conversation.name || "", maxlength: 256, required: true });
    const cancel = h("button", { type: "button", class: "button ghost small" }, "Cancel");
    const form = h(
      "form",
      { class: "rename-form" },
      h("label", { for: inputId, class: "visually-hidden" }, `New name for “${titleOf(conversation)}”`),
      input,
      h("span", { class: "rename-buttons" }, h("button", { type: "submit", class: "button primary small" }, "Save"), cancel),
    );
    const done = (updated) => {
      const replacement = item(updated);
      li.replaceWith(replacement);
      replacement.querySelector(".icon-button").focus();
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      try {
        const saved = await call(`/api/v1/ai/conversations/${encodeURIComponent(conversation.id)}`, {
          method: "PATCH",
          body: { name },
        });
        const updated = { ...conversation, name: saved?.name ?? name, updatedAt: saved?.updatedAt ?? conversation.updatedAt };
        Object.assign(conversation, updated);
        done(updated);
        status.textContent = `Renamed to “${name}”.`;
        onRenamed(conversation.id, name);
      } catch (error) {
        status.textContent = `Could not rename: ${error.message}`;
      }
    });
    cancel.addEventListener("click", () => done(conversation));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        done(conversation);
      }
    });
    link.replaceWith(form);
    actions.hidden = true;
    input.focus();
    input.select();
  }

  function confirmDelete(li, conversation) {
    $("confirm-delete-text").textContent = `“${titleOf(conversation)}” and all its messages and results will be deleted. This cannot be undone.`;
    dialog.returnValue = "";
    dialog.showModal();
    dialog.addEventListener(
      "close",
      async () => {
        const trigger = li.querySelector(".item-actions button:last-child");
        if (dialog.returnValue !== "delete") {
          trigger?.focus();
          return;
        }
        try {
          await call(`/api/v1/ai/conversations/${encodeURIComponent(conversation.id)}`, { method: "DELETE" });
        } catch (error) {
          status.textContent = `Could not delete: ${error.message}`;
          trigger?.focus();
          return;
        }
        const next = li.nextElementSibling || li.previousElementSibling;
        li.remove();
        count = Math.max(0, count - 1);
        showTotal();
        status.textContent = `Deleted “${titleOf(conversation)}”.`;
        (next?.querySelector("a") || search).focus();
        onDeleted(conversation.id);
      },
      { once: true },
    );
  }

  return {
    reload,
    setActive(id) {
      activeId = id;
      for (const link of list.querySelectorAll(".conversation-link")) {
        if (link.closest("li").dataset.id === id) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      }
    },
  };
}
