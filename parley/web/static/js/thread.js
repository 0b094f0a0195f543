// The open conversation: its messages, the question box, and the run of each job.

import { ApiError, call } from "./api.js";
import { clear, h } from "./dom.js";
import { FINAL, cancel, follow, result, submit } from "./jobs.js";
import { renderMarkdown } from "./markdown.js";
import { chartFigure, lastQueryResult, releaseCharts, resultTable } from "./result.js";

const $ = (id) => document.getElementById(id);

const STATE_TEXT = {
  QUEUED: "Waiting for the assistant…",
  EXECUTING: "Working on it…",
  DELIVERING: "Writing the answer…",
  COMPLETE: "Answer ready.",
  CANCELLED: "Stopped.",
};

export function createThread({ modelId, onChanged, onNavigate }) {
  const title = $("chat-title");
  const list = $("messages");
  const empty = $("chat-empty");
  const region = $("messages-region");
  const progress = $("progress");
  const form = $("ask-form");
  const prompt = $("prompt");
  const askButton = $("ask");
  let conversationId = null;
  let running = null; // {jobId, controller}
  let opened = 0; // which open() is current, so a slow load cannot overwrite a newer one

  const scrollToEnd = () => {
    region.scrollTop = region.scrollHeight;
  };

  function setTitle(text) {
    title.textContent = text;
    document.title = `${text} · Parley`;
  }

  function setProgress(text, { busy = false, stop = null } = {}) {
    clear(progress);
    progress.classList.toggle("busy", busy);
    if (!text) return;
    progress.append(h("span", { class: busy ? "spinner" : null, "aria-hidden": "true" }), h("span", {}, text));
    if (stop) {
      const button = h("button", { type: "button", class: "button ghost small" }, "Stop");
      button.addEventListener("click", stop);
      progress.append(button);
    }
  }

  function userMessage(text, attachments = []) {
    const item = h("li", { class: "message user" }, h("span", { class: "visually-hidden" }, "You asked: "), h("p", {}, text));
    if (attachments.length) {
      // Only the names: the files themselves stay on the server.
      item.append(
        h(
          "ul",
          { class: "attachments", "aria-label": "Attached files" },
          ...attachments.map((file) => h("li", { class: "attachment" }, `${file.name || "unnamed"} (${file.mimeType})`)),
        ),
      );
    }
    return item;
  }

  function assistantMessage(markdown) {
    const body = h("div", { class: "answer" }, renderMarkdown(markdown));
    const item = h("li", { class: "message assistant" }, h("span", { class: "visually-hidden" }, "Parley answered: "), body);
    return { item, body };
  }

  /** Add the table and chart of a job's result under its answer. */
  async function attachResult(body, jobId, answer) {
    try {
      const data = answer || (await result(jobId));
      const query = lastQueryResult(data.actions);
      const table = resultTable(query);
      // Answers often carry a short table of their own; the full result then waits
      // behind a disclosure instead of repeating it.
      if (table && body.querySelector(".markdown table")) {
        const rows = query.totalRowCount ?? "";
        body.append(h("details", { class: "result-details" }, h("summary", {}, `Query result (${rows} rows)`), table));
      } else if (table) {
        body.append(table);
      }
      const chart = query ? await chartFigure(jobId, query) : null;
      if (chart) {
        body.append(chart);
        chart.querySelector("img").addEventListener("load", () => {
          if (body.parentElement === list.lastElementChild) scrollToEnd();
        });
      }
    } catch (error) {
      // An answer without its table is still an answer; an expired result is a 404.
      if (!(error instanceof ApiError)) throw error;
    }
  }

  function reset() {
    running?.controller.abort();
    running = null;
    releaseCharts();
    clear(list);
    setProgress("");
    askButton.disabled = false;
  }

  function showEmpty() {
    empty.hidden = list.children.length > 0;
  }

  function startNew() {
    opened += 1;
    reset();
    conversationId = null;
    setTitle("New conversation");
    showEmpty();
  }

  async function open(id) {
    const mine = ++opened;
    reset();
    conversationId = id;
    setTitle("Loading…");
    empty.hidden = true;
    let conversation;
    try {
      conversation = await call(`/api/v1/ai/conversations/${encodeURIComponent(id)}`);
    } catch (error) {
      if (mine !== opened) return;
      conversationId = null;
      setTitle("Conversation not found");
      setProgress(error instanceof ApiError && error.status !== 404 && error.status !== 400 ? error.message : "It may have been deleted, or it belongs to someone else.");
      return;
    }
    if (mine !== opened) return;
    const messages = conversation.messages || [];
    setTitle(conversation.name || messages.find((m) => m.role === "user")?.text || "Untitled conversation");
    const pending = [];
    for (const message of messages) {
      if (message.role === "user") {
        list.append(userMessage(message.text, message.attachments || []));
      } else {
        const { item, body } = assistantMessage(message.text);
        list.append(item);
        if (message.jobId) pending.push(attachResult(body, message.jobId));
      }
    }
    showEmpty();
    scrollToEnd();
    await Promise.all(pending);
    if (mine === opened) scrollToEnd();
  }

  async function ask(text) {
    if (running || !text.trim()) return;
    const model = modelId();
    if (!model) {
      setProgress("Choose a model first.");
      return;
    }
    askButton.disabled = true;
    setProgress(STATE_TEXT.QUEUED, { busy: true });
    let job;
    try {
      job = await submit({ modelId: model, prompt: text, conversationId });
    } catch (error) {
      askButton.disabled = false;
      setProgress(`Could not ask: ${error.message}`);
      throw error;
    }
    prompt.value = "";
    if (conversationId !== job.conversationId) {
      conversationId = job.conversationId;
      onNavigate(conversationId);
      setTitle(text);
    }
    list.append(userMessage(text));
    showEmpty();
    scrollToEnd();
    onChanged(conversationId);

    const controller = new AbortController();
    running = { jobId: job.jobId, controller };
    const stop = () => cancel(job.jobId).catch(() => {});
    let final;
    // The answer as the model writes it, shown until the finished one replaces it.
    let draft = null;
    const showDraft = (text) => {
      if (!text) return;
      if (!draft) {
        draft = assistantMessage(text);
        draft.item.classList.add("draft");
        draft.item.setAttribute("aria-busy", "true");
        list.append(draft.item);
      } else {
        draft.body.replaceChildren(renderMarkdown(text));
      }
      scrollToEnd();
    };
    try {
      final = await follow(
        job.jobId,
        (update) => {
          showDraft(update.progress?.draft);
          if (!update.state && update.progress) {
            setProgress(update.progress.message || STATE_TEXT.EXECUTING, { busy: true, stop });
          } else if (update.state && !FINAL.has(update.state)) {
            const detail = update.state === "EXECUTING" && update.progress?.message;
            setProgress(detail || STATE_TEXT[update.state] || update.state, { busy: true, stop });
          }
        },
        controller.signal,
      );
    } catch (error) {
      if (controller.signal.aborted) return; // the member moved to another conversation
      draft?.item.remove();
      running = null;
      askButton.disabled = false;
      setProgress(`Lost track of the job: ${error.message}`);
      return;
    }
    running = null;
    askButton.disabled = false;
    draft?.item.remove();
    if (final.state === "COMPLETE") {
      const answer = await result(job.jobId);
      const { item, body } = assistantMessage(answer.message);
      list.append(item);
      scrollToEnd();
      setProgress(STATE_TEXT.COMPLETE);
      await attachResult(body, job.jobId, answer);
    } else if (final.state === "FAILED") {
      const reason = final.error?.message || "unknown error";
      list.append(h("li", { class: "message failed", role: "alert" }, `The assistant could not answer: ${reason}`));
      setProgress("");
    } else {
      setProgress(STATE_TEXT.CANCELLED);
    }
    scrollToEnd();
    onChanged(conversationId);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(prompt.value).catch(() => {});
  });
  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  return {
    open,
    startNew,
    current: () => conversationId,
    renamed(id, name) {
      if (id === conversationId && name) setTitle(name);
    },
    focusPrompt: () => prompt.focus(),
  };
}
