// A query result under an answer: its table (from csvResult) and its chart (the PNG
// from /vis, fetched with the token and shown from a blob: URL).

import { request } from "./api.js";
import { parseCsv } from "./csv.js";
import { h } from "./dom.js";
import { labelOf } from "./labels.js";

const SHOWN_ROWS = 100;
const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const MIDNIGHT = /^(\d{4}-\d{2}-\d{2})[T ]00:00:00(\.0+)?Z?$/;
const format = new Intl.NumberFormat("en", { maximumFractionDigits: 2 });

// A month or a day is a date to the reader, not a timestamp at midnight.
const cellText = (value) => value.replace(MIDNIGHT, "$1");
const objectUrls = new Set();

/** The last successful generate_query result among a job's actions, or null. */
export function lastQueryResult(actions) {
  const found = (actions || []).filter(
    (action) => action.type === "generate_query" && action.result && action.result.status === "success",
  );
  return found.length ? found[found.length - 1].result : null;
}

export function resultTable(result) {
  if (!result || !result.csvResult) return null;
  const [header, ...rows] = parseCsv(result.csvResult);
  if (!header) return null;
  const total = result.totalRowCount ?? rows.length;
  const shown = rows.slice(0, SHOWN_ROWS);
  const numeric = header.map((_, index) => shown.length > 0 && shown.every((row) => !row[index] || NUMBER.test(row[index])));
  let caption = `Result: ${total.toLocaleString("en")} row${total === 1 ? "" : "s"}`;
  if (shown.length < total || result.csvResultWasTruncated) caption += `, first ${shown.length} shown`;
  const table = h(
    "table",
    { class: "result-table" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, header.map((name, index) => h("th", { scope: "col", class: numeric[index] ? "number" : null, title: name }, labelOf(name))))),
    h(
      "tbody",
      {},
      shown.map((row) =>
        h("tr", {}, header.map((_, index) => {
          const value = row[index] ?? "";
          return numeric[index] && value
            ? h("td", { class: "number" }, format.format(Number(value)))
            : h("td", {}, cellText(value));
        })),
      ),
    ),
  );
  // A wide table scrolls sideways inside its own region, reachable by keyboard.
  return h("div", { class: "table-wrap", role: "region", "aria-label": caption, tabindex: 0 }, table);
}

/** The chart of a job's result as a <figure>, or null when there is nothing to chart. */
export async function chartFigure(jobId, result) {
  const response = await request(`/api/v1/ai/jobs/${encodeURIComponent(jobId)}/vis`);
  if (!response.ok) return null; // 422: nothing to chart; 404: no result (any more)
  const blob = await response.blob();
  if (!blob.type.startsWith("image/")) return null;
  const url = URL.createObjectURL(blob);
  objectUrls.add(url);
  const header = result && result.csvResult ? parseCsv(result.csvResult)[0] || [] : [];
  const description = header.length ? header.map(labelOf).join(", ") : "the query result";
  return h(
    "figure",
    { class: "chart" },
    h("img", { src: url, alt: `Chart of ${description}`, loading: "lazy" }),
  );
}

/** Free the images of a thread that is no longer shown. */
export function releaseCharts() {
  for (const url of objectUrls) URL.revokeObjectURL(url);
  objectUrls.clear();
}
