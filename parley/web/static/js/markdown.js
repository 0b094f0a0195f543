// A small Markdown renderer for the assistant's answers: paragraphs, headings, bold,
// italics, inline code, code blocks, lists, quotes, rules, links and tables.
//
// It builds DOM nodes and puts every piece of text in as a text node, so the answer is
// escaped by construction: "<script>" in an answer shows as those eight characters.

import { h } from "./dom.js";

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*>\s?(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;
const LINK = /^\[([^\]]+)\]\(([^)\s]+)\)/;
const SAFE_URL = /^(https?:\/\/|\/(?!\/))/i;

/** Render Markdown text into a new <div class="markdown">. */
export function renderMarkdown(text) {
  const root = h("div", { class: "markdown" });
  root.append(...blocks(String(text ?? "").replace(/\r\n?/g, "\n").split("\n")));
  return root;
}

function blocks(lines) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
    } else if (FENCE.test(line)) {
      const fence = line.trim().slice(0, 3);
      const code = [];
      i += 1;
      while (i < lines.length && !lines[i].trim().startsWith(fence)) code.push(lines[i++]);
      i += 1;
      out.push(h("pre", {}, h("code", {}, code.join("\n"))));
    } else if (HEADING.test(line)) {
      const [, marks, title] = line.match(HEADING);
      // The page's own headings are h1 and h2; an answer's start below them.
      const level = Math.min(6, marks.length + 2);
      out.push(h(`h${level}`, {}, inline(title)));
      i += 1;
    } else if (RULE.test(line)) {
      out.push(h("hr"));
      i += 1;
    } else if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1])) {
      const rows = [line, lines[i + 1]];
      i += 2;
      while (i < lines.length && lines[i].includes("|") && lines[i].trim()) rows.push(lines[i++]);
      out.push(table(rows));
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const ordered = !BULLET.test(line);
      const pattern = ordered ? NUMBERED : BULLET;
      const items = [];
      while (i < lines.length && lines[i].trim()) {
        const match = lines[i].match(pattern);
        if (match) items.push(ordered ? match[2] : match[1]);
        else if (items.length && /^\s+/.test(lines[i])) items[items.length - 1] += ` ${lines[i].trim()}`;
        else break;
        i += 1;
      }
      const start = ordered ? Number(line.match(NUMBERED)[1]) : null;
      const list = h(ordered ? "ol" : "ul", start && start !== 1 ? { start } : {});
      list.append(...items.map((item) => h("li", {}, inline(item))));
      out.push(list);
    } else if (QUOTE.test(line)) {
      const quoted = [];
      while (i < lines.length && QUOTE.test(lines[i])) quoted.push(lines[i++].match(QUOTE)[1]);
      out.push(h("blockquote", {}, blocks(quoted)));
    } else {
      const paragraph = [];
      while (i < lines.length && lines[i].trim() && !startsBlock(lines, i)) {
        paragraph.push(lines[i++].trim());
      }
      if (!paragraph.length) paragraph.push(lines[i++].trim());
      out.push(h("p", {}, inline(paragraph.join(" "))));
    }
  }
  return out;
}

function startsBlock(lines, i) {
  const line = lines[i];
  return (
    FENCE.test(line) ||
    HEADING.test(line) ||
    RULE.test(line) ||
    BULLET.test(line) ||
    NUMBERED.test(line) ||
    QUOTE.test(line) ||
    (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]))
  );
}

function cells(row) {
  let text = row.trim();
  if (text.startsWith("|")) text = text.slice(1);
  if (text.endsWith("|") && !text.endsWith("\\|")) text = text.slice(0, -1);
  // A backslash-escaped pipe belongs to the cell.
  return text.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, "|"));
}

function table(rows) {
  const header = cells(rows[0]);
  const aligns = cells(rows[1]).map((rule) => {
    if (rule.startsWith(":") && rule.endsWith(":")) return "center";
    if (rule.endsWith(":")) return "right";
    return null;
  });
  const cell = (tag, text, index) =>
    h(tag, { class: aligns[index] ? `align-${aligns[index]}` : null, scope: tag === "th" ? "col" : null }, inline(text));
  const body = rows.slice(2).map((row) => {
    const values = cells(row);
    return h("tr", {}, header.map((_, index) => cell("td", values[index] ?? "", index)));
  });
  return h(
    "div",
    { class: "table-wrap" },
    h("table", {}, h("thead", {}, h("tr", {}, header.map((text, index) => cell("th", text, index)))), h("tbody", {}, body)),
  );
}

/** Inline Markdown: code spans, bold, italics and links; everything else is text. */
export function inline(text) {
  const nodes = [];
  let plain = "";
  const flush = () => {
    if (plain) nodes.push(document.createTextNode(plain));
    plain = "";
  };
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const char = text[i];
    if (char === "\\" && i + 1 < text.length && /[\\`*_[\]()#+\-.!|>]/.test(text[i + 1])) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (char === "`") {
      const end = text.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        nodes.push(h("code", {}, text.slice(i + 1, end)));
        i = end + 1;
        continue;
      }
    }
    const strong = rest.startsWith("**") ? "**" : rest.startsWith("__") ? "__" : null;
    if (strong) {
      const end = text.indexOf(strong, i + 2);
      if (end > i + 2) {
        flush();
        nodes.push(h("strong", {}, inline(text.slice(i + 2, end))));
        i = end + 2;
        continue;
      }
    }
    // "_" italics only at word edges, so snake_case field names stay as written.
    const wordEdge = char === "*" || i === 0 || !/\w/.test(text[i - 1]);
    if ((char === "*" || char === "_") && wordEdge && text[i + 1] && text[i + 1] !== " ") {
      let end = text.indexOf(char, i + 1);
      while (char === "_" && end > 0 && /\w/.test(text[end + 1] || "")) end = text.indexOf(char, end + 1);
      if (end > i + 1 && text[end - 1] !== " ") {
        flush();
        nodes.push(h("em", {}, inline(text.slice(i + 1, end))));
        i = end + 1;
        continue;
      }
    }
    if (char === "[") {
      const match = rest.match(LINK);
      if (match) {
        flush();
        const [whole, label, href] = match;
        nodes.push(
          SAFE_URL.test(href)
            ? h("a", { href, rel: "noopener noreferrer", target: href.startsWith("/") ? null : "_blank" }, inline(label))
            : document.createTextNode(label),
        );
        i += whole.length;
        continue;
      }
    }
    plain += char;
    i += 1;
  }
  flush();
  return nodes;
}
