// "5 minutes ago" for the history list; the exact time stays in <time datetime> and its
// title for anyone who needs it.

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const exact = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

export function ago(iso, now = Date.now()) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  if (Number.isNaN(seconds)) return "";
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(Math.round(seconds / 60), "minute");
}

export function exactTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : exact.format(date);
}

/** Keep every <time data-relative> on the page current. */
export function refreshTimes(root = document) {
  for (const element of root.querySelectorAll("time[data-relative]")) {
    element.textContent = ago(element.dateTime);
  }
}
