// What every staff page's script needs: the staff API called with the page's CSRF token,
// nodes found and made, a notice for what failed, and the page kept current. Each page loads
// this first (a classic script: its names are the page's globals), then its own logic.

const csrf = document.querySelector('meta[name="csrf-token"]').content;

// The staff API: the answer's JSON, or an Error saying what it refused (and which fields).
const call = (method, path, body) => fetch(path, {
  method, headers: {"X-CSRF-Token": csrf, "Content-Type": "application/json"},
  body: body === undefined ? undefined : JSON.stringify(body),
}).then(async (r) => {
  const b = await r.json();
  if (!r.ok) {
    const detail = (b.error.details || []).map((d) => `${d.field}: ${d.message}`).join("; ");
    throw new Error(detail ? `${b.error.message} (${detail})` : b.error.message);
  }
  return b;
});

const $ = (id) => document.getElementById(id);
const set = (id, value) => { $(id).textContent = value; };
// A new node: text set as text (never as HTML), or nodes put in it, then its attributes.
const el = (tag, text, attrs = {}) => {
  const node = document.createElement(tag);
  if (text instanceof Node) node.append(text);
  else if (text !== undefined && text !== null) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
};
const emptyRow = (text, span) => {
  const row = el("tr");
  row.append(el("td", text, {colspan: span, class: "muted"}));
  return row;
};
const when = (at) => new Date(at * 1000).toLocaleString(document.documentElement.lang);
// A text of the page's (from the server, translated) with its {names} filled in as text.
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
// Someone's words (a name, a chat's title, a role, a URL) in a <bdi> of their own, so that
// they keep their direction in the page's: "Anna!" stays "Anna!" on a Persian page. A URL
// reads left to right ("ltr") whatever it holds.
const isolated = (text, dir = "auto") => el("bdi", text, dir === "auto" ? {} : {dir});
// fill, as nodes: each value isolated.
const fillIsolated = (text, values) => {
  const out = document.createDocumentFragment();
  text.split(/\{(\w+)\}/).forEach((part, i) => {
    if (i % 2 === 0) out.append(part);
    else out.append(part in values ? isolated(String(values[part])) : `{${part}}`);
  });
  return out;
};
// The form of a counted message for n: the page gives each plural category's form (CLDR's,
// the ones Intl.PluralRules names) with {n} in it.
const plural = (forms, n) => {
  const category = new Intl.PluralRules(document.documentElement.lang).select(n);
  return fill(forms[category] || forms.other || forms.many || Object.values(forms)[0], {n});
};

// The page's #notice says what failed; an empty text hides it.
const notice = (text) => { $("notice").textContent = text || ""; $("notice").hidden = !text; };
// An event handler whose failure is a notice, not an unseen rejected promise.
const guarded = (work) => async (...args) => {
  try { notice(""); await work(...args); } catch (e) { notice(e.message); }
};

// The worker acts in the background: run `refresh` now and every `ms` after, never two at
// once (a slow answer would otherwise pile up calls), a failure shown as a notice.
function keepCurrent(refresh, ms = 2000) {
  let refreshing = false;
  const poll = async () => {
    if (refreshing) return;
    refreshing = true;
    try { await refresh(); } catch (e) { notice(e.message); } finally { refreshing = false; }
  };
  poll();
  setInterval(poll, ms);
}
