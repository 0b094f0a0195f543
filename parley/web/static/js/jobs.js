// AI jobs: submit a prompt, follow the job to a final state, fetch its answer.

import { actingAs, call, request } from "./api.js";
import { readEvents } from "./sse.js";

export const FINAL = new Set(["COMPLETE", "FAILED", "CANCELLED"]);
const POLL_MS = 1000;

export function submit({ modelId, prompt, conversationId }) {
  const body = { modelId, prompt };
  if (conversationId) body.conversationId = conversationId;
  return call("/api/v1/ai/jobs", { method: "POST", body, params: actingAs() });
}

export function cancel(jobId) {
  return call(`/api/v1/ai/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST" });
}

export function result(jobId) {
  return call(`/api/v1/ai/jobs/${encodeURIComponent(jobId)}/result`);
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/**
 * Follow a job until it is final, calling `update({state, progress, ...})` on each change.
 * The event stream gives prompt updates; whatever happens to it, the job's status is
 * then polled, so a dropped stream or a proxy that buffers it only makes updates slower.
 */
export async function follow(jobId, update, signal) {
  const path = `/api/v1/ai/jobs/${encodeURIComponent(jobId)}`;
  try {
    const response = await request(`${path}/events`, {
      headers: { Accept: "text/event-stream" },
      signal,
    });
    if (response.ok && (response.headers.get("content-type") || "").startsWith("text/event-stream")) {
      for await (const event of readEvents(response)) {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          continue;
        }
        // A progress event may carry just {iteration, message}.
        if (!data.state && event.event === "progress") data = { progress: data };
        update(data);
        if (FINAL.has(data.state)) break;
      }
    }
  } catch (error) {
    if (signal?.aborted) throw error;
  }
  for (;;) {
    const job = await call(path, { signal });
    update(job);
    if (FINAL.has(job.state)) return job;
    await sleep(POLL_MS, signal);
  }
}
