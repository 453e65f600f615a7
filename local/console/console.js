// The local console: a static page that calls the real API of the local stack.
// Local only, never deployed. "Signed in" means: the bearer token is a seeded user's id, which the
// local front turns into the Cognito `sub` claim, exactly as the deployed authorizer would.
"use strict";

(() => {
  const $ = (selector, root = document) => root.querySelector(selector);
  const STORAGE_KEY = "paid-invites-console.user";
  const LIST_TABS = ["users", "pending", "expired", "bounced"];
  // What the API answers for a route that does not exist (yet): the local front's API Gateway words,
  // or the handlers' own "no_route".
  const REASONS = {
    already_invited: "Already has a pending invitation",
    already_member: "Already a member of this account",
    no_license_available: "No license left: add licenses or invite as a basic user",
    invalid_email: "Not a valid e-mail address",
    duplicate_in_request: "Listed twice in this request",
    role_not_allowed: "Only the owner can invite admins",
    invalid_role: "Unknown role",
    invalid_user_type: "Unknown user type",
  };
  const WARNINGS = { downgrades_paid_plan: "Their paid plan ends: they join as a basic user" };

  const state = {
    users: [],
    me: null,
    token: null, // the signed-in user's ID token (POST /_local/sign-in)
    route: { section: "manage", tab: "users", mail: null },
    unavailable: {},
    mails: [],
    rows: {},
    members: {},
    confirming: null,
    cursor: null,
    imports: {},
    importsCursor: null,
  };

  // ------------------------------------------------------------------ small DOM helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  // replaceChildren() would show a null as the text "null"
  function fill(el, ...children) {
    el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
    return el;
  }

  function table(caption, headers, rows) {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col", class: t.endsWith(" ") ? "num" : null }, t.trim())))),
        h("tbody", {}, rows),
      ),
    );
  }

  function flash(message, problem = false) {
    const box = $("#flash");
    box.className = problem ? "flash problem" : "flash";
    box.textContent = message;
  }

  function when(iso) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return `${date.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC`;
  }

  function money(value, currency) {
    const m = typeof value === "object" ? value : { amount_minor: value, currency };
    if (!m || !m.currency) return "—";
    const format = new Intl.NumberFormat("en-GB", { style: "currency", currency: m.currency });
    const digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(m.amount_minor / 10 ** digits);
  }

  const words = (code) => String(code || "").replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

  function userName(id) {
    const user = state.users.find((u) => u.id === id);
    return user ? `${user.name} (${user.email})` : id;
  }

  // ------------------------------------------------------------------ the API

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (state.me && state.token) headers.Authorization = state.token; // a real ID token of the local user pool
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      return { ok: false, status: 0, data: null, missing: false, message: "The local stack does not answer: is `make run` still running?" };
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    const said = data && typeof data === "object" ? data : {};
    const missing =
      (response.status === 404 && said.message === "Missing Authentication Token") ||
      (response.status === 405 && said.message === "Method Not Allowed") ||
      (response.status === 404 && said.error && said.error.code === "no_route");
    const message = said.error ? `${said.error.message} (${said.error.code})` : said.message || `HTTP ${response.status}`;
    return { ok: response.ok, status: response.status, data, missing, message };
  }

  const account = () => encodeURIComponent(state.me.account_id);

  // ------------------------------------------------------------------ sign-in

  async function loadUsers() {
    const got = await call("GET", "/_local/users");
    if (!got.ok) {
      flash(`Could not load the seeded users: ${got.message}`, true);
      return;
    }
    state.users = got.data;
    const managers = state.users.filter((u) => ["owner", "admin"].includes(u.role) && u.account_type === "organization");
    const select = $("#who");
    fill(select);
    const byAccount = new Map();
    for (const user of managers) {
      if (!byAccount.has(user.account_name)) byAccount.set(user.account_name, []);
      byAccount.get(user.account_name).push(user);
    }
    for (const [name, people] of byAccount) {
      select.append(h("optgroup", { label: name }, people.map((u) => h("option", { value: u.id }, `${u.name} — ${u.role}, ${u.account_name}`))));
    }
    const saved = localStorage.getItem(STORAGE_KEY);
    state.me = managers.find((u) => u.id === saved) || managers.find((u) => u.role === "admin") || managers[0] || null;
    if (state.me) select.value = state.me.id;
    if (state.me) await fetchToken(state.me);
  }

  // Cognito in moto: the seed user signs in with the local default password (or the one the seed gives,
  // asked for when the default is refused); the ID token goes in Authorization, as a frontend sends it.
  const DEFAULT_PASSWORD = "Local-pass-1";

  async function fetchToken(user) {
    state.token = null;
    let password = DEFAULT_PASSWORD;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const got = await call("POST", "/_local/sign-in", { email: user.email, password });
      if (got.ok && got.data && got.data.id_token) {
        state.token = got.data.id_token;
        return true;
      }
      password = window.prompt(`Password of ${user.email}`) || "";
      if (!password) break;
    }
    flash(`Could not sign in as ${user.email}.`, true);
    return false;
  }

  async function signIn(id) {
    state.me = state.users.find((u) => u.id === id) || null;
    if (state.me) localStorage.setItem(STORAGE_KEY, state.me.id);
    if (state.me && !(await fetchToken(state.me))) state.me = null;
    state.unavailable = {};
    flash(state.me ? `Signed in as ${state.me.name} (${state.me.role} of ${state.me.account_name}).` : "");
    render();
  }

  // ------------------------------------------------------------------ routing

  function parseRoute() {
    const hash = location.hash.replace(/^#/, "") || "users";
    if (LIST_TABS.includes(hash)) return { section: "manage", tab: hash, mail: null };
    if (hash === "add") return { section: "add", tab: null, mail: null };
    if (hash === "account") return { section: "account", tab: null, mail: null };
    if (hash === "imports") return { section: "imports", tab: null, mail: null };
    const mail = /^mail-(\d+)$/.exec(hash);
    if (hash === "mailbox" || mail) return { section: "mailbox", tab: null, mail: mail ? Number(mail[1]) : null };
    return { section: "manage", tab: "users", mail: null };
  }

  function render() {
    state.route = parseRoute();
    const { section, tab } = state.route;
    for (const el of document.querySelectorAll(".section")) el.hidden = el.id !== `section-${section}`;
    for (const link of document.querySelectorAll(".sections a")) {
      const current = link.dataset.section === section || (section === "add" && link.dataset.section === "manage");
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    for (const link of document.querySelectorAll(".tabs a")) {
      if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (!state.me) {
      flash("No seeded owner or admin of an organization to sign in as.", true);
      return;
    }
    if (section === "manage") showList(tab);
    else if (section === "account") showAccount();
    else if (section === "imports") showImports();
    else if (section === "mailbox") showMailbox();
  }

  // ------------------------------------------------------------------ user lists

  async function showList(tab, more = false) {
    const box = $("#list");
    $("#history").hidden = true;
    $("#list-tools").hidden = false;
    if (!more) {
      state.cursor = null;
      fill(box, h("p", { class: "empty" }, "Loading…"));
    }
    if (tab === "users") return showMembers(box, more);
    const params = new URLSearchParams({ status: tab, limit: "50" });
    const prefix = $("#email-prefix").value.trim();
    if (prefix) params.set("email_prefix", prefix);
    if (more && state.cursor) params.set("cursor", state.cursor);
    const got = await call("GET", `/accounts/${account()}/invitations?${params}`);
    if (state.route.tab !== tab) return; // the person moved on meanwhile
    if (!got.ok) {
      if (tab === "bounced" && got.status === 400) {
        return fill(box, h("p", { class: "note" }, "Bounced invitations are not listed by this build of the API yet (it does not know the status “bounced”)."));
      }
      return fill(box, h("p", { class: "problem" }, `Could not list ${tab} invitations: ${got.message}`));
    }
    const invitations = got.data.invitations || [];
    for (const inv of invitations) state.rows[inv.id] = inv;
    state.cursor = got.data.next_cursor || null;
    const rows = invitations.map((inv) => invitationRow(inv, tab));
    if (more) {
      const body = $("#list tbody");
      if (body) body.append(...rows);
    } else if (!invitations.length) {
      fill(box, h("p", { class: "empty" }, prefix ? `No ${tab} invitations for “${prefix}…”.` : `No ${tab} invitations.`));
    } else {
      const dated = tab === "pending" ? "Expires" : tab === "expired" ? "Expired" : "Last change";
      fill(box, table(`${words(tab)} invitations`, ["E-mail", "Name", "User type", "Role", "Invited", dated, "Actions"], rows));
    }
    const old = $("#more");
    if (old) old.remove();
    if (state.cursor) box.append(h("p", { id: "more" }, h("button", { type: "button", class: "button", onclick: () => showList(tab, true) }, "Load more")));
  }

  // The organization's members: GET /accounts/{id}/members (by e-mail, 50 a page), DELETE .../members/{userId}.
  async function showMembers(box, more) {
    const params = new URLSearchParams({ limit: "50" });
    const prefix = $("#email-prefix").value.trim();
    if (prefix) params.set("email_prefix", prefix);
    if (more && state.cursor) params.set("cursor", state.cursor);
    const got = await call("GET", `/accounts/${account()}/members?${params}`);
    if (state.route.tab !== "users") return; // the person moved on meanwhile
    if (!got.ok) return fill(box, h("p", { class: "problem" }, `Could not list the members: ${got.message}`));
    const members = got.data.members || [];
    for (const member of members) state.members[member.id] = member;
    state.cursor = got.data.next_cursor || null;
    const rows = members.map(memberRow);
    if (more) {
      const body = $("#list tbody");
      if (body) body.append(...rows);
    } else if (!members.length) {
      fill(box, h("p", { class: "empty" }, prefix ? `No members for “${prefix}…”.` : "No members."));
    } else {
      fill(box, table(`Members of ${state.me.account_name}`, ["Name", "E-mail", "Role", "User type", "Language", "Actions"], rows));
    }
    const old = $("#more");
    if (old) old.remove();
    if (state.cursor) box.append(h("p", { id: "more" }, h("button", { type: "button", class: "button", onclick: () => showList("users", true) }, "Load more")));
  }

  function memberRow(member) {
    const actions = h("div", { class: "actions" });
    if (member.role === "owner") {
      actions.append(h("span", { class: "hint" }, "The owner"));
    } else if (state.confirming === member.id) {
      actions.append(
        h("span", {}, `Remove ${member.email}?`),
        h("button", { type: "button", class: "button small danger", onclick: () => removeMember(member) }, "Yes, remove"),
        h("button", { type: "button", class: "button small", onclick: () => confirmRevoke(null) }, "Cancel"),
      );
    } else {
      actions.append(h("button", { type: "button", class: "button small danger", "aria-label": `Remove ${member.email}`, onclick: () => confirmRevoke(member.id) }, "Remove"));
    }
    return h(
      "tr",
      { "data-member": member.id },
      h("td", {}, member.name || "—"),
      h("td", {}, member.email),
      h("td", {}, words(member.role)),
      h("td", {}, words(member.user_type)),
      h("td", {}, member.language),
      h("td", {}, actions),
    );
  }

  async function removeMember(member) {
    state.confirming = null;
    const got = await call("DELETE", `/accounts/${account()}/members/${encodeURIComponent(member.id)}`);
    if (!got.ok) {
      rerenderRows();
      return flash(`Could not remove ${member.email}: ${got.message}`, true);
    }
    const freed = got.data.user_type === "licensed" ? " Their license is free again." : "";
    flash(`${member.email} removed from ${state.me.account_name}: they have an account of their own again.${freed}`);
    showList("users");
  }

  function invitationRow(inv, tab) {
    const name = [inv.first_name, inv.last_name].filter(Boolean).join(" ") || "—";
    const dated = tab === "pending" || tab === "expired" ? inv.expires_at : (inv.history || []).at(-1)?.at;
    const actions = h("div", { class: "actions" });
    if (state.confirming === inv.id) {
      actions.append(
        h("span", {}, `Revoke ${inv.email}?`),
        h("button", { type: "button", class: "button small danger", onclick: () => revoke(inv) }, "Yes, revoke"),
        h("button", { type: "button", class: "button small", onclick: () => confirmRevoke(null) }, "Cancel"),
      );
    } else {
      if (tab !== "users") actions.append(actionButton("resend", `Resend to ${inv.email}`, "Resend", () => resend(inv)));
      if (tab === "pending" || tab === "bounced") actions.append(actionButton("revoke", `Revoke the invitation of ${inv.email}`, "Revoke", () => confirmRevoke(inv.id), "danger"));
      actions.append(h("button", { type: "button", class: "button small", "aria-label": `History of ${inv.email}`, onclick: () => history(inv) }, "History"));
    }
    return h(
      "tr",
      { "data-invitation": inv.id },
      h("td", {}, inv.email),
      h("td", {}, name),
      h("td", {}, words(inv.user_type)),
      h("td", {}, words(inv.role)),
      h("td", {}, when(inv.created_at)),
      h("td", {}, when(dated)),
      h("td", {}, actions),
    );
  }

  function actionButton(feature, label, text, onclick, kind = "") {
    const gone = state.unavailable[feature];
    return h(
      "button",
      { type: "button", class: `button small ${kind}`, "aria-label": label, disabled: Boolean(gone), title: gone ? `${text} is not available in this build yet` : null, onclick },
      text,
    );
  }

  function confirmRevoke(id) {
    state.confirming = id;
    rerenderRows();
  }

  function rerenderRows() {
    const body = $("#list tbody");
    if (!body) return;
    for (const row of body.querySelectorAll("tr[data-invitation]")) {
      const inv = state.rows[row.dataset.invitation];
      if (inv) row.replaceWith(invitationRow(inv, state.route.tab));
    }
    for (const row of body.querySelectorAll("tr[data-member]")) {
      const member = state.members[row.dataset.member];
      if (member) row.replaceWith(memberRow(member));
    }
  }

  function notThere(feature, what) {
    state.unavailable[feature] = true;
    flash(`${what} is not available in this build of the API yet (no such route); nothing was changed.`, true);
    rerenderRows();
  }

  async function resend(inv) {
    const got = await call("POST", `/accounts/${account()}/invitations/${encodeURIComponent(inv.id)}/resend`);
    if (got.missing) return notThere("resend", "Resend");
    if (!got.ok) return flash(`Could not resend to ${inv.email}: ${got.message}`, true);
    flash(`Invitation to ${inv.email} sent again.`);
    showList(state.route.tab);
  }

  async function revoke(inv) {
    state.confirming = null;
    const got = await call("DELETE", `/accounts/${account()}/invitations/${encodeURIComponent(inv.id)}`);
    if (got.missing) return notThere("revoke", "Revoke");
    if (!got.ok) {
      rerenderRows();
      return flash(`Could not revoke the invitation of ${inv.email}: ${got.message}`, true);
    }
    flash(`Invitation of ${inv.email} revoked: its link no longer works and its license is free again.`);
    showList(state.route.tab);
  }

  async function history(inv) {
    const panel = $("#history");
    const body = $("#history-body");
    $("#history-title").textContent = `History of the invitation to ${inv.email}`;
    fill(body, h("p", { class: "empty" }, "Loading…"));
    panel.hidden = false;
    let events = inv.history || [];
    let source = null;
    const got = await call("GET", `/accounts/${account()}/invitations/${encodeURIComponent(inv.id)}`);
    if (got.ok && got.data) {
      const found = got.data.history || (got.data.invitation && got.data.invitation.history);
      if (Array.isArray(found)) events = found;
    } else if (got.missing) {
      source = "Shown from the list: this build of the API has no route for one invitation yet.";
    } else {
      source = `Shown from the list (${got.message}).`;
    }
    const items = events.map((e) => {
      const extra = Object.entries(e)
        .filter(([k]) => !["event", "by", "at"].includes(k))
        .map(([k, v]) => `${words(k)}: ${v}`);
      return h("li", {}, h("strong", {}, words(e.event || e.kind)), ` — ${when(e.at)}`, e.by ? `, by ${userName(e.by)}` : "", extra.length ? h("div", { class: "hint" }, extra.join(" · ")) : null);
    });
    fill(body,
      h("p", {}, `Status: `, h("span", { class: `status ${inv.status}` }, words(inv.status)), inv.settlement ? ` · settlement: ${words(inv.settlement)}` : "", inv.settlement_state ? ` · money: ${words(inv.settlement_state)}${inv.settlement_failure ? ` (${inv.settlement_failure})` : ""}` : ""),
      items.length ? h("ol", { class: "timeline" }, items) : h("p", { class: "empty" }, "No events."),
      source ? h("p", { class: "hint" }, source) : null,
    );
    panel.focus();
  }

  // ------------------------------------------------------------------ add users

  async function addUsers(event) {
    event.preventDefault();
    const area = $("#emails");
    const emails = area.value.split(/[\s,;]+/).map((e) => e.trim()).filter(Boolean);
    const old = $("#emails-error");
    if (old) old.remove();
    area.removeAttribute("aria-invalid");
    area.setAttribute("aria-describedby", "emails-hint");
    if (!emails.length) {
      area.setAttribute("aria-invalid", "true");
      area.setAttribute("aria-describedby", "emails-hint emails-error");
      area.before(h("p", { class: "problem", id: "emails-error" }, "Enter at least one e-mail address."));
      area.focus();
      return;
    }
    const form = new FormData(event.target);
    const invitees = emails.map((email) => ({ email, user_type: form.get("user_type"), role: form.get("role") }));
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    const got = await call("POST", `/accounts/${account()}/invitations`, { invitees });
    button.disabled = false;
    const results = $("#add-results");
    const body = $("#add-results-body");
    results.hidden = false;
    if (!got.ok) {
      fill(body, h("p", { class: "problem" }, `The invitations were not sent: ${got.message}`));
      results.focus();
      return;
    }
    const list = got.data.results || [];
    const created = list.filter((r) => r.status === "created").length;
    const rows = list.map((r) =>
      h(
        "tr",
        {},
        h("td", {}, r.email),
        h("td", {}, h("span", { class: `status ${r.status}` }, r.status === "created" ? "Invited" : "Not invited")),
        h("td", {}, r.status === "created" ? (r.warnings || []).map((w) => WARNINGS[w] || words(w)).join("; ") || "E-mail on its way" : REASONS[r.reason] || words(r.reason)),
      ),
    );
    fill(body,
      h("p", {}, `${created} of ${list.length} invited. `, h("a", { href: "#pending" }, "See pending invitations"), " · ", h("a", { href: "#mailbox" }, "Open the mailbox")),
      table("Result per address", ["E-mail", "Result", "Details"], rows),
    );
    if (created === list.length) area.value = "";
    results.focus();
  }

  // ------------------------------------------------------------------ account summary

  async function showAccount() {
    const box = $("#account-body");
    fill(box, h("p", { class: "empty" }, "Loading…"));
    const got = await call("GET", `/accounts/${account()}`);
    if (!got.ok) return fill(box, h("p", { class: "problem" }, got.message));
    const s = got.data;
    const l = s.licenses;
    const pct = (n) => `${l.total ? (100 * n) / l.total : 0}%`;
    const card = (label, value, extra = "") => h("div", { class: `card ${extra}` }, h("dt", {}, label), h("dd", {}, value));
    const meter = h("div", { class: "meter", role: "img", "aria-label": `${l.used} used, ${l.held_by_pending} held by pending invitations, ${l.free} free of ${l.total}` });
    meter.append(h("span", { class: "used" }), h("span", { class: "held" }));
    meter.children[0].style.width = pct(l.used);
    meter.children[1].style.width = pct(l.held_by_pending);
    const ledger = (s.ledger || []).map((e) =>
      h(
        "tr",
        {},
        h("td", {}, when(e.at)),
        h("td", {}, words(e.kind)),
        h("td", {}, e.account_id),
        h("td", {}, e.user_id ? userName(e.user_id) : "—"),
        h("td", { class: "num" }, money(e.amount_minor, e.currency)),
        h("td", {}, `${words(e.state || "completed")}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}${e.failure ? `: ${e.failure}` : ""}`),
      ),
    );
    fill(box,
      h("p", {}, `${s.name} · ${words(s.plan)} plan · ${words(s.status)} · billed in ${s.currency}`),
      h("h2", {}, "Licenses"),
      h("dl", { class: "cards", id: "licenses" }, card("Total", l.total), card("Used", l.used), card("Held by pending invitations", l.held_by_pending), card("Free", l.free)),
      h("p", { class: "legend", "aria-hidden": "true" }, h("span", {}, h("span", { class: "swatch used" }), "used"), h("span", {}, h("span", { class: "swatch held" }), "held"), h("span", {}, h("span", { class: "swatch free" }), "free")),
      meter,
      h("h2", {}, "Money"),
      h("dl", { class: "money-row" }, card("Balance due", money(s.balance_due), s.balance_due.amount_minor > 0 ? "due" : ""), card("Credit", money(s.credit), "credit")),
      h("p", { class: "hint" }, "The balance due is what the account owes on open invoices; the credit is what invitees transferred to it, once billing confirmed it. They are kept apart and never netted here."),
      h("h2", {}, "Ledger"),
      ledger.length ? table("Ledger entries", ["When", "What", "Account", "User", "Amount ", "Billing"], ledger) : h("p", { class: "empty" }, "No ledger entries yet."),
    );
  }

  // ------------------------------------------------------------------ imports (docs/import.md)
  // GET /accounts/{id}/imports (newest first), POST .../imports/{importId}/cancel, GET .../results.csv.

  async function showImports(more = false) {
    const box = $("#imports-list");
    if (!more) {
      state.importsCursor = null;
      state.imports = {};
      fill(box, h("p", { class: "empty" }, "Loading…"));
    }
    const params = new URLSearchParams({ limit: "20" });
    if (more && state.importsCursor) params.set("cursor", state.importsCursor);
    const got = await call("GET", `/accounts/${account()}/imports?${params}`);
    if (state.route.section !== "imports") return; // the person moved on meanwhile
    if (!got.ok) return fill(box, h("p", { class: "problem" }, `Could not list the imports: ${got.message}`));
    const found = got.data.imports || [];
    for (const imp of found) state.imports[imp.id] = imp;
    state.importsCursor = got.data.next_cursor || null;
    const rows = found.map(importRow);
    if (more) {
      const body = $("#imports-list tbody");
      if (body) body.append(...rows);
    } else if (!found.length) {
      fill(box, h("p", { class: "empty" }, "No imports yet."));
    } else {
      fill(box, table(`Imports of ${state.me.account_name}`, ["Uploaded", "Status", "Rows ", "Processed ", "Created ", "Rejected ", "Finished", "Actions"], rows));
    }
    const old = $("#imports-more");
    if (old) old.remove();
    if (state.importsCursor) box.append(h("p", { id: "imports-more" }, h("button", { type: "button", class: "button", onclick: () => showImports(true) }, "Load more")));
  }

  function importRow(imp) {
    const t = imp.totals;
    const uploaded = when(imp.created_at);
    const actions = h("div", { class: "actions" });
    actions.append(h("button", { type: "button", class: "button small", "aria-label": `Download results of the import of ${uploaded} (CSV)`, onclick: () => downloadResults(imp) }, "Download results"));
    if (imp.status === "running" && state.confirming === imp.id) {
      actions.append(
        h("span", {}, "Cancel this import?"),
        h("button", { type: "button", class: "button small danger", onclick: () => cancelImport(imp) }, "Yes, cancel it"),
        h("button", { type: "button", class: "button small", onclick: () => confirmCancel(null) }, "Keep it running"),
      );
    } else if (imp.status === "running") {
      actions.append(h("button", { type: "button", class: "button small danger", "aria-label": `Cancel the import of ${uploaded}`, onclick: () => confirmCancel(imp.id) }, "Cancel"));
    }
    const status = imp.status === "running" ? `Running, ${imp.progress_percent}%` : words(imp.status);
    return h(
      "tr",
      { "data-import": imp.id },
      h("td", {}, uploaded),
      h("td", {}, h("span", { class: `status ${imp.status}` }, status), imp.failure ? h("div", { class: "hint" }, imp.failure.message) : null),
      h("td", { class: "num" }, t.rows),
      h("td", { class: "num" }, t.processed),
      h("td", { class: "num" }, t.created),
      h("td", { class: "num" }, t.rejected),
      h("td", {}, when(imp.finished_at)),
      h("td", {}, actions),
    );
  }

  function confirmCancel(id) {
    state.confirming = id;
    const body = $("#imports-list tbody");
    if (!body) return;
    for (const row of body.querySelectorAll("tr[data-import]")) {
      const imp = state.imports[row.dataset.import];
      if (imp) row.replaceWith(importRow(imp));
    }
  }

  async function cancelImport(imp) {
    state.confirming = null;
    const got = await call("POST", `/accounts/${account()}/imports/${encodeURIComponent(imp.id)}/cancel`);
    if (!got.ok) {
      showImports();
      return flash(`Could not cancel the import: ${got.message}`, true);
    }
    const t = got.data.totals;
    flash(`Import cancelled: ${t.created} invited, ${t.rows - t.processed} rows not processed. Invitations already sent stay.`);
    showImports();
  }

  // The results file needs the bearer token, so it is fetched, then saved from a blob: a plain link would
  // go without the Authorization header.
  async function downloadResults(imp) {
    let response;
    try {
      response = await fetch(`/accounts/${account()}/imports/${encodeURIComponent(imp.id)}/results.csv`, { headers: { Authorization: state.token } });
    } catch {
      return flash("The local stack does not answer: is `make run` still running?", true);
    }
    if (!response.ok) return flash(`Could not download the results: HTTP ${response.status}`, true);
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: `import-${imp.id}-results.csv`, hidden: true }, "results");
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // ------------------------------------------------------------------ mailbox

  async function loadMails() {
    const got = await call("GET", "/_local/outbox");
    if (!got.ok || !Array.isArray(got.data)) return false;
    const changed = got.data.length !== state.mails.length;
    state.mails = got.data;
    $("#mail-count").textContent = state.mails.length ? String(state.mails.length) : "";
    return changed;
  }

  async function showMailbox(force = true) {
    const changed = await loadMails();
    if (!force && !changed) return;
    const list = $("#mail-list");
    const selected = state.route.mail;
    const items = state.mails
      .map((m, i) => ({ m, i }))
      .reverse()
      .map(({ m, i }) =>
        h(
          "button",
          { type: "button", "aria-current": selected === i ? "true" : null, "data-mail": i, onclick: () => (location.hash = `#mail-${i}`) },
          h("span", { class: "subject" }, m.subject || "(no subject)"),
          h("span", { class: "to" }, `To: ${m.to}`),
        ),
      );
    fill(list, items.length ? h("div", { class: "mail-list", role: "list" }, items.map((b) => h("div", { role: "listitem" }, b))) : h("p", { class: "empty" }, "No e-mail sent yet. Invite someone first."));
    if (force) showMail(selected);
  }

  function showMail(index) {
    const view = $("#mail-view");
    const mail = index === null ? null : state.mails[index];
    if (!mail) {
      fill(view, h("p", { class: "empty" }, state.mails.length ? "Choose a message." : ""));
      return;
    }
    const links = [...new Set((mail.text || "").match(/https?:\/\/[^\s<>"']+/g) || [])];
    fill(view,
      h("h2", { id: "mail-subject" }, mail.subject),
      h("dl", { class: "mail-head" }, h("dt", {}, "From"), h("dd", {}, mail.from || "—"), h("dt", {}, "To"), h("dd", {}, mail.to)),
      links.length
        ? h(
            "p",
            { class: "links" },
            "Links in this message: ",
            links.map((url, i) => [i ? " · " : "", h("a", { href: url }, url.includes("/invitations/accept") ? "Accept the invitation" : url)]),
          )
        : null,
      h("iframe", {
        class: "mail-frame",
        src: `/_local/outbox/${index}/html`,
        title: `E-mail to ${mail.to}: ${mail.subject}`,
        sandbox: "allow-top-navigation-by-user-activation allow-popups allow-popups-to-escape-sandbox",
      }),
      h("details", {}, h("summary", {}, "Plain-text part"), h("pre", { class: "text" }, mail.text || "")),
    );
  }

  // ------------------------------------------------------------------ start

  async function start() {
    $("#who").addEventListener("change", (e) => signIn(e.target.value));
    $("#add-form").addEventListener("submit", addUsers);
    $("#mail-refresh").addEventListener("click", () => showMailbox(true));
    $("#imports-refresh").addEventListener("click", () => showImports());
    $("#history-close").addEventListener("click", () => {
      $("#history").hidden = true;
      $("#list").focus();
    });
    let typing = null;
    $("#email-prefix").addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => showList(state.route.tab), 250);
    });
    window.addEventListener("hashchange", render);
    await loadUsers();
    render();
    setInterval(() => {
      if (state.route.section === "mailbox") showMailbox(false);
      else loadMails();
    }, 2000);
  }

  start();
})();
