// The member's token lives in sessionStorage: gone when the tab closes, never sent
// anywhere but this server's API, and never put in a URL.

const TOKEN = "parley.token";
const ACT_AS = "parley.actAs";
const WHO = "parley.who";

export function load() {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  let who = null;
  try {
    who = JSON.parse(sessionStorage.getItem(WHO) || "null");
  } catch {
    who = null;
  }
  return { token, actAs: sessionStorage.getItem(ACT_AS) || null, who };
}

export function save({ token, actAs, who }) {
  sessionStorage.setItem(TOKEN, token);
  if (actAs) sessionStorage.setItem(ACT_AS, actAs);
  else sessionStorage.removeItem(ACT_AS);
  sessionStorage.setItem(WHO, JSON.stringify(who));
}

export function forget() {
  for (const key of [TOKEN, ACT_AS, WHO]) sessionStorage.removeItem(key);
}
