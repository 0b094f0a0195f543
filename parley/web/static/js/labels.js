// Column names of a semantic query ("order_items.created_at[month]") as words
// ("Created at (month)"), the same rule the server's charts use for their axes.

const TIMEFRAME = /\[(date|week|month|quarter|year)\]$/;

export function labelOf(name) {
  const timeframe = name.match(TIMEFRAME);
  const base = name.replace(TIMEFRAME, "").split(".").pop().replace(/_/g, " ").trim();
  const text = base ? base[0].toUpperCase() + base.slice(1) : name;
  return timeframe ? `${text} (${timeframe[1]})` : text;
}
