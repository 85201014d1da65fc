// KYC gateway operations console (bundled by esbuild into /admin/console.js; no framework).
// Security rules of this code: every piece of data goes into the page through text nodes (dom.ts,
// never parsed as HTML); the admin token lives in sessionStorage only and travels in the
// Authorization header, never in a URL.
import { rulesEditor } from "./rules.js";
import { accountActions, apiKeysPanel, type LifecycleDeps, loadOperators, showWhoAmI } from "./lifecycle.js";
import { ApiError, type Auth, bearer, describe, gateway, opt, type Schemas, unwrap } from "./api.js";
import {
  $,
  $$,
  badge,
  type Child,
  type Column,
  fill,
  fmtAge,
  fmtMs,
  fmtNum,
  fmtPct,
  fmtTime,
  h,
  idText,
  input,
  json,
  select,
  table,
  type TableOptions,
} from "./dom.js";

type Tenant = Schemas["Tenant"];
type VendorAccount = Schemas["VendorAccount"];
type Policy = Schemas["DecisionPolicyResource"];
type Routing = Schemas["Routing"];
type VerificationRow = Schemas["AdminVerification"];
type Delivery = Schemas["AdminWebhookDelivery"];
type VendorInfo = Schemas["VendorInfoList"]["data"][number];
type Status = Schemas["Verification"]["status"];
type DeliveryStatus = Schemas["WebhookDelivery"]["status"];

const TOKEN_KEY = "kycGateway.adminToken";
const TABS = ["tenants", "health", "queues", "verifications", "deliveries", "events", "audit", "operators"] as const;
type Tab = (typeof TABS)[number];

// ---------- API ----------
/** Calls the admin API with the session's token; a 401 goes back to the sign-in form. */
async function api<T>(call: (auth: Auth) => Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showLogin("Please sign in.");
    throw new ApiError(401, null);
  }
  try {
    return await unwrap(call(bearer(token)));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin("The admin token was refused (401 Unauthorized). Sign in again.");
    throw err;
  }
}
const tenantPath = (t: Tenant) => ({ path: { id: t.id } });

function showAlert(text: string) {
  $("#alert-text").textContent = text;
  $("#alert").hidden = false;
}
function hideAlert() {
  $("#alert").hidden = true;
  $("#alert-text").textContent = "";
}
/** Runs a screen action; 401 goes back to the sign-in form, anything else to the alert bar. */
async function run<T>(fn: () => Promise<T>, errorEl?: HTMLElement): Promise<T | undefined> {
  try {
    if (errorEl) errorEl.hidden = true;
    return await fn();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    if (errorEl) {
      errorEl.textContent = describe(err);
      errorEl.hidden = false;
    } else showAlert(describe(err));
    return undefined;
  }
}

// ---------- state ----------
const state = {
  tenants: [] as Tenant[],
  selectedTenantId: null as string | null,
  draft: null as string[] | null,
  vendors: null as VendorInfo[] | null,
  verCursor: null as string | null,
  dlvCursor: null as string | null,
  selectedVerificationId: null as string | null,
  openDeliveries: new Set<string>(),
};
const timers = new Set<ReturnType<typeof setInterval>>();
function stopTimers() {
  for (const t of timers) clearInterval(t);
  timers.clear();
}

// ---------- sign in / out ----------
function showLogin(message?: string) {
  sessionStorage.removeItem(TOKEN_KEY);
  stopTimers();
  $("#tabs").hidden = true;
  $("#signout").hidden = true;
  $("#whoami").hidden = true;
  $("#whoami").textContent = "";
  for (const v of $$(".view")) v.hidden = true;
  // nothing fetched with the previous token stays on the page
  for (const id of ["tenant-list", "health-list", "queues-list", "queues-stats", "ver-list", "dlv-list", "evt-list", "audit-list"])
    $(`#${id}`).replaceChildren();
  fill($("#tenant-detail"), h("p", { class: "muted" }, "Select a tenant to see its vendor accounts and routing."));
  fill($("#ver-detail"), h("p", { class: "muted" }, "Select a verification to see its event log."));
  $("#tenant-created").hidden = true;
  state.tenants = [];
  state.selectedTenantId = null;
  hideAlert();
  $("#login").hidden = false;
  const e = $("#login-error");
  e.textContent = message || "";
  e.hidden = !message;
  input("#token").value = "";
  input("#token").focus();
}

async function signIn(token: string) {
  const e = $("#login-error");
  e.hidden = true;
  try {
    // the token is checked against the API before anything is shown or stored
    const tenants = await unwrap(gateway.GET("/admin/tenants", { headers: bearer(token) }));
    sessionStorage.setItem(TOKEN_KEY, token);
    state.tenants = tenants.data;
    enterApp();
  } catch (err) {
    e.textContent =
      err instanceof ApiError && err.status === 401
        ? "That admin token was refused (401 Unauthorized)."
        : err instanceof TypeError && /header|ISO-8859/i.test(err.message)
          ? "The token contains characters that cannot be sent."
          : describe(err);
    e.hidden = false;
  }
}

/** What the lifecycle screens need from this file. */
const lifecycle: LifecycleDeps = {
  api,
  run,
  changed: async () => {
    await loadTenants();
  },
};

function enterApp() {
  void showWhoAmI(lifecycle);
  $("#login").hidden = true;
  $("#tabs").hidden = false;
  $("#signout").hidden = false;
  const tab = currentTab();
  if (location.hash !== `#${tab}`) location.hash = `#${tab}`;
  else activate(tab);
}

// ---------- tabs ----------
function currentTab(): Tab {
  const t = location.hash.replace(/^#/, "");
  return (TABS as readonly string[]).includes(t) ? (t as Tab) : "tenants";
}
function activate(tab: Tab) {
  if (!sessionStorage.getItem(TOKEN_KEY)) return showLogin();
  stopTimers();
  hideAlert();
  for (const a of $$("#tabs a")) a.classList.toggle("active", a.dataset.tab === tab);
  for (const v of $$(".view")) v.hidden = v.dataset.view !== tab;
  void loaders[tab]();
  if (tab === "queues") timers.add(setInterval(() => void loaders.queues(), 5000));
}

const loading = (el: HTMLElement) => fill(el, h("div", { class: "empty" }, "Loading…"));

// ---------- Tenants ----------
async function loadTenants() {
  const list = $("#tenant-list");
  if (!state.tenants.length) loading(list);
  await run(async () => {
    const [t] = await Promise.all([api((headers) => gateway.GET("/admin/tenants", { headers })), loadVendors()]);
    state.tenants = t.data;
    renderTenantList();
    if (state.selectedTenantId) renderTenantDetail();
  });
}

async function loadVendors(): Promise<VendorInfo[]> {
  if (state.vendors) return state.vendors;
  const v = await api((headers) => gateway.GET("/admin/vendors", { headers }));
  state.vendors = v.data;
  const sel = select("#health-vendor");
  if (sel.options.length === 1) for (const x of v.data) sel.append(h("option", { value: x.vendor ?? "" }, x.vendor ?? ""));
  return state.vendors;
}

const tenantById = (id: string | null) => state.tenants.find((t) => t.id === id);
const accountLabel = (a: { vendor: string | null; name: string }) => `${a.vendor ?? "?"} · ${a.name}`;
const defaultRoute = (t: Tenant): string[] => t.routing?.default ?? [];

function renderTenantList() {
  const filter = input("#tenant-filter").value.trim().toLowerCase();
  const rows = state.tenants
    .filter((t) => !filter || t.name.toLowerCase().includes(filter) || t.id.toLowerCase().includes(filter))
    .slice()
    .reverse();
  const el = table<Tenant>(
    [
      { title: "Tenant", cell: (t) => [h("div", {}, t.name), idText(t.id)] },
      { title: "Accounts", num: true, cell: (t) => String(t.vendorAccounts.length) },
      {
        title: "Primary vendor",
        cell: (t) => {
          const first = defaultRoute(t)[0] ?? null;
          const a = first && t.vendorAccounts.find((x) => x.id === first);
          return a
            ? [h("div", {}, a.vendor), h("div", { class: "muted small" }, a.name)]
            : h("span", { class: "muted" }, t.vendorAccounts.length ? "creation order" : "no accounts");
        },
      },
    ],
    rows,
    {
      empty: filter ? "No tenant matches the filter." : "No tenants yet: create one above.",
      rowData: (t) => ({ tenantId: t.id }),
      onRowClick: (t) => selectTenant(t.id),
    },
  );
  fill($("#tenant-list"), el);
  for (const tr of $$("#tenant-list tr[data-tenant-id]")) tr.classList.toggle("selected", tr.dataset.tenantId === state.selectedTenantId);
}

function selectTenant(id: string) {
  state.selectedTenantId = id;
  const t = tenantById(id);
  state.draft = t ? [...defaultRoute(t)] : null;
  for (const tr of $$("#tenant-list tr[data-tenant-id]")) tr.classList.toggle("selected", tr.dataset.tenantId === id);
  renderTenantDetail();
}

function renderTenantDetail() {
  const box = $("#tenant-detail");
  const t = tenantById(state.selectedTenantId);
  if (!t) return void fill(box, h("p", { class: "muted" }, "Select a tenant to see its vendor accounts and routing."));
  if (!state.draft) state.draft = [...defaultRoute(t)];
  const goto = (tab: Tab, setup: () => void) => () => {
    setup();
    if (location.hash === `#${tab}`) activate(tab);
    else location.hash = `#${tab}`;
  };
  fill(
    box,
    h(
      "div",
      { class: "view-head" },
      h("div", {}, h("h2", {}, t.name), idText(t.id)),
      h(
        "div",
        { class: "toolbar" },
        h(
          "button",
          {
            class: "btn btn-small",
            type: "button",
            onclick: goto("verifications", () => {
              input("#ver-tenant").value = t.id;
              select("#ver-status").value = "";
            }),
          },
          "Verifications",
        ),
        h(
          "button",
          {
            class: "btn btn-small",
            type: "button",
            onclick: goto("deliveries", () => {
              input("#dlv-tenant").value = t.id;
              select("#dlv-status").value = "";
            }),
          },
          "Deliveries",
        ),
        h(
          "button",
          {
            class: "btn btn-small",
            type: "button",
            onclick: goto("health", () => {
              input("#health-tenant").value = t.id;
              select("#health-vendor").value = "";
            }),
          },
          "Vendor health",
        ),
        h("button", { class: "btn btn-small", type: "button", onclick: () => void issueApiKey(t) }, "New API key"),
      ),
    ),
    h("div", { id: "tenant-key-box" }),
    apiKeysPanel(t, lifecycle),
    h("h3", {}, "Vendor accounts"),
    h(
      "div",
      { class: "table-card card" },
      table<VendorAccount>(
        [
          { title: "Account", cell: (a) => [h("div", {}, accountLabel(a)), idText(a.id)] },
          {
            title: "Credentials",
            cell: (a) =>
              h(
                "div",
                { class: "mono" },
                Object.entries(a.credentials || {}).map(([k, v]) => h("div", {}, `${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`)),
              ),
          },
          { title: "Credits", num: true, cell: (a) => fmtNum(a.credits) },
          { title: "Webhook URL", wrap: true, cell: (a) => h("span", { class: "mono" }, a.webhookUrl) },
          { title: "", cell: (a) => accountActions(a, lifecycle) },
        ],
        t.vendorAccounts,
        { empty: "No vendor accounts yet.", rowData: (a) => ({ accountId: a.id }) },
      ),
    ),
    routingEditor(t),
    rulesEditor(t, {
      api,
      run,
      accountLabel,
      saved: (tenant, routing) => {
        tenant.routing = routing;
        renderTenantDetail();
        renderTenantList();
        const s = document.querySelector<HTMLElement>("#rules-status");
        if (s) {
          s.className = "saved";
          s.textContent = "Rules saved: new verifications use them now.";
        }
      },
    }),
    policyEditor(t),
    addAccountForm(t),
  );
}

// ---------- decision policy (GET|PUT /admin/tenants/:id/policy) ----------
type Mismatch = keyof Policy["onMismatch"];
type Level = NonNullable<Policy["requiredLivenessLevel"]>;
type DocumentType = NonNullable<Policy["acceptedDocumentTypes"]>[number];
const MISMATCHES = [
  "first_name_mismatch",
  "last_name_mismatch",
  "names_inverted",
  "date_of_birth_mismatch",
  "document_number_mismatch",
  "document_type_mismatch",
  "document_country_mismatch",
] as const satisfies readonly Mismatch[];
const LEVELS = ["LOW", "MEDIUM", "MODERATE", "BALANCED_HIGH", "HIGH", "BALANCED_VERY_HIGH", "VERY_HIGH", "HIGHEST"] as const satisfies readonly Level[];

function policyEditor(t: Tenant) {
  const box = h("div", { id: "policy-box" }, h("p", { class: "muted" }, "Loading the decision policy…"));
  const errEl = h("p", { class: "form-error", role: "alert", hidden: true });
  void run(
    async () => renderPolicy(box, t, await api((headers) => gateway.GET("/admin/tenants/{id}/policy", { headers, params: tenantPath(t) })), errEl),
    errEl,
  );
  return h("details", { class: "panel", id: "policy-panel" }, h("summary", {}, "Decision policy"), box, errEl);
}

function renderPolicy(box: HTMLElement, t: Tenant, p: Policy, errEl: HTMLElement) {
  const list = (v: readonly string[] | null) => (v ? v.join(", ") : "");
  const toList = (text: string, upper: boolean) => {
    const items = text
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean)
      .map((x) => (upper ? x.toUpperCase() : x));
    return items.length ? items : null;
  };
  const num = (el: HTMLInputElement) => (el.value.trim() === "" ? null : Number(el.value));
  const minAge = h("input", { id: "pol-min-age", type: "number", min: "0", max: "120", value: p.minimumAge === null ? "" : String(p.minimumAge) });
  const types = h("input", { id: "pol-doc-types", type: "text", value: list(p.acceptedDocumentTypes), placeholder: "any (e.g. id_card, passport)" });
  const countries = h("input", { id: "pol-countries", type: "text", value: list(p.acceptedCountries), placeholder: "any (e.g. ES, PT)" });
  const level = h(
    "select",
    { id: "pol-liveness" },
    h("option", { value: "" }, "not enforced"),
    LEVELS.map((l) => h("option", { value: l, selected: p.requiredLivenessLevel === l }, l)),
  );
  const similarity = h("input", {
    id: "pol-similarity",
    type: "number",
    min: "0",
    max: "1",
    step: "0.01",
    value: p.minimumFaceSimilarity === null ? "" : String(p.minimumFaceSimilarity),
  });
  const retakes = h("input", { id: "pol-retakes", type: "number", min: "0", max: "10", value: String(p.maxRetakes) });
  const selects = Object.fromEntries(
    MISMATCHES.map((code) => [
      code,
      h(
        "select",
        { id: `pol-${code}` },
        (["review", "decline"] as const).map((a) => h("option", { value: a, selected: p.onMismatch[code] === a }, a)),
      ),
    ]),
  ) as Record<Mismatch, HTMLSelectElement>;
  const status = h("span", { class: "muted", id: "policy-status" }, `Version ${p.version}${p.updatedAt ? `, set ${fmtTime(p.updatedAt)}` : " (defaults)"}`);
  const form = h(
    "form",
    { class: "form-grid", autocomplete: "off", id: "policy-form" },
    h("label", { for: "pol-min-age" }, "Minimum age"),
    minAge,
    h("label", { for: "pol-doc-types" }, "Accepted document types"),
    types,
    h("label", { for: "pol-countries" }, "Accepted countries"),
    countries,
    h("label", { for: "pol-liveness" }, "Required liveness level"),
    level,
    h("label", { for: "pol-similarity" }, "Minimum face similarity (review below)"),
    similarity,
    h("label", { for: "pol-retakes" }, "Retakes allowed"),
    retakes,
    MISMATCHES.flatMap((code) => [h("label", { for: `pol-${code}` }, code), selects[code]]),
    h("span"),
    h("div", {}, h("button", { class: "btn btn-primary", type: "submit", id: "policy-save" }, "Save policy"), " ", status),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void run(async () => {
      const body: Schemas["DecisionPolicyUpdate"] = {
        minimumAge: num(minAge),
        // what the operator typed is sent as is: the API names a bad entry
        acceptedDocumentTypes: toList(types.value, false) as DocumentType[] | null,
        acceptedCountries: toList(countries.value, true),
        requiredLivenessLevel: (level.value || null) as Level | null,
        minimumFaceSimilarity: num(similarity),
        maxRetakes: Number(retakes.value || 0),
        onMismatch: Object.fromEntries(MISMATCHES.map((code) => [code, selects[code].value])) as Schemas["DecisionPolicyUpdate"]["onMismatch"],
      };
      const saved = await api((headers) => gateway.PUT("/admin/tenants/{id}/policy", { headers, params: tenantPath(t), body }));
      renderPolicy(box, t, saved, errEl);
      const s = document.querySelector<HTMLElement>("#policy-status");
      if (s) {
        s.className = "saved";
        s.textContent = `Policy version ${saved.version} saved: new decisions use it now.`;
      }
    }, errEl);
  });
  fill(
    box,
    h("p", { class: "muted small" }, "Applied by the gateway to every vendor's result: it can only make a decision stricter. Empty = not enforced."),
    form,
  );
}

function routingEditor(t: Tenant) {
  const saved = defaultRoute(t);
  const draft = state.draft!;
  const byId = new Map(t.vendorAccounts.map((a) => [a.id, a]));
  const dirty = JSON.stringify(saved) !== JSON.stringify(draft);
  const move = (i: number, j: number) => {
    const d = state.draft!;
    if (j < 0 || j >= d.length) return;
    [d[i], d[j]] = [d[j]!, d[i]!];
    renderTenantDetail();
  };
  const list = h("ol", { class: "route-list", id: "route-list" });
  draft.forEach((id, i) => {
    const a = byId.get(id);
    const label = a ? accountLabel(a) : "unknown account";
    list.append(
      h(
        "li",
        { dataset: { accountId: id } },
        h("span", { class: "pos" }, String(i + 1)),
        h("span", { class: "label" }, label, i === 0 ? h("span", { class: "badge info" }, "primary") : null, idText(id)),
        h(
          "span",
          { class: "route-actions" },
          h(
            "button",
            {
              class: "btn btn-small",
              type: "button",
              dataset: { action: "primary" },
              disabled: i === 0,
              title: "Make primary",
              "aria-label": `Make ${label} primary`,
              onclick: () => {
                state.draft!.splice(i, 1);
                state.draft!.unshift(id);
                renderTenantDetail();
              },
            },
            "Make primary",
          ),
          h(
            "button",
            {
              class: "btn btn-small",
              type: "button",
              dataset: { action: "up" },
              disabled: i === 0,
              title: "Move up",
              "aria-label": `Move ${label} up`,
              onclick: () => move(i, i - 1),
            },
            "↑",
          ),
          h(
            "button",
            {
              class: "btn btn-small",
              type: "button",
              dataset: { action: "down" },
              disabled: i === draft.length - 1,
              title: "Move down",
              "aria-label": `Move ${label} down`,
              onclick: () => move(i, i + 1),
            },
            "↓",
          ),
          h(
            "button",
            {
              class: "btn btn-small",
              type: "button",
              dataset: { action: "remove" },
              title: "Remove from the list",
              "aria-label": `Remove ${label}`,
              onclick: () => {
                state.draft!.splice(i, 1);
                renderTenantDetail();
              },
            },
            "Remove",
          ),
        ),
      ),
    );
  });
  if (!draft.length) list.append(h("li", { class: "muted" }, "Empty list: every active account is tried in creation order."));
  const unused = t.vendorAccounts.filter((a) => !draft.includes(a.id));
  const addSel = h(
    "select",
    { "aria-label": "Account to add to the routing", id: "route-add-select" },
    unused.map((a) => h("option", { value: a.id }, `${accountLabel(a)} (${a.id})`)),
  );
  const msg = h("span", { class: dirty ? "dirty" : "muted", id: "route-status" }, dirty ? "Unsaved changes" : "Saved routing is in effect");
  const errEl = h("p", { class: "form-error", role: "alert", hidden: true });
  const saveBtn = h("button", { class: "btn btn-primary", type: "button", id: "route-save", disabled: !dirty }, "Save routing");
  saveBtn.addEventListener(
    "click",
    () =>
      void run(async () => {
        saveBtn.disabled = true;
        const body: Routing = { default: [...state.draft!], rules: t.routing?.rules ?? [] };
        const res = await api((headers) => gateway.PUT("/admin/tenants/{id}/routing", { headers, params: tenantPath(t), body }));
        t.routing = res.routing;
        state.draft = [...res.routing.default];
        renderTenantDetail();
        renderTenantList();
        const s = document.querySelector<HTMLElement>("#route-status");
        if (s) {
          s.className = "saved";
          s.textContent = "Routing saved: new verifications use this order now.";
        }
      }, errEl).finally(() => {
        if (document.body.contains(saveBtn)) saveBtn.disabled = JSON.stringify(defaultRoute(t)) === JSON.stringify(state.draft);
      }),
  );
  return h(
    "div",
    {},
    h("h3", {}, "Routing: default vendor accounts"),
    h(
      "p",
      { class: "muted small" },
      "Tried in this order; the gateway falls over to the next account on a technical failure, never on a decision. Saving takes effect immediately, no deploy needed.",
    ),
    list,
    unused.length
      ? h(
          "div",
          { class: "route-add" },
          addSel,
          h(
            "button",
            {
              class: "btn",
              type: "button",
              onclick: () => {
                if (addSel.value) {
                  state.draft!.push(addSel.value);
                  renderTenantDetail();
                }
              },
            },
            "Add to list",
          ),
        )
      : null,
    h(
      "div",
      { class: "route-save" },
      saveBtn,
      h(
        "button",
        {
          class: "btn",
          type: "button",
          disabled: !dirty,
          onclick: () => {
            state.draft = [...saved];
            renderTenantDetail();
          },
        },
        "Revert",
      ),
      msg,
    ),
    errEl,
  );
}

function addAccountForm(t: Tenant) {
  const vendors = state.vendors || [];
  const vendorSel = h(
    "select",
    { id: "acct-vendor", name: "vendor", required: true },
    vendors.map((v) => h("option", { value: v.vendor }, v.vendor)),
  );
  const name = h("input", { id: "acct-name", name: "name", type: "text", required: true, maxlength: "200", placeholder: "e.g. DMS production" });
  const baseUrl = h("input", { id: "acct-baseurl", name: "baseUrl", type: "url", placeholder: "" });
  const creds = h("textarea", { id: "acct-credentials", name: "credentials", spellcheck: "false", autocomplete: "off" });
  const settings = h("textarea", { id: "acct-settings", name: "settings", spellcheck: "false" });
  settings.value = "{}";
  const errEl = h("p", { class: "form-error full", role: "alert", hidden: true });
  const template = () => {
    const v = vendors.find((x) => x.vendor === vendorSel.value);
    baseUrl.placeholder = v ? `default: ${v.defaultBaseUrl}` : "";
    creds.value = JSON.stringify(v ? v.credentialsTemplate : {}, null, 2);
  };
  vendorSel.addEventListener("change", template);
  template();
  const form = h(
    "form",
    { class: "form-grid", autocomplete: "off" },
    h("label", { for: "acct-vendor" }, "Vendor"),
    vendorSel,
    h("label", { for: "acct-name" }, "Name"),
    name,
    h("label", { for: "acct-baseurl" }, "Base URL"),
    baseUrl,
    h("label", { for: "acct-credentials" }, "Credentials (JSON)"),
    creds,
    h("label", { for: "acct-settings" }, "Settings (JSON)"),
    settings,
    h("span"),
    h(
      "div",
      {},
      h("button", { class: "btn btn-primary", type: "submit" }, "Add vendor account"),
      h("span", { class: "muted small" }, "  Credentials are write-only: they are encrypted and only shown masked."),
    ),
    errEl,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void run(async () => {
      let credentials: Record<string, unknown>, parsedSettings: Record<string, unknown>;
      try {
        credentials = JSON.parse(creds.value || "{}");
      } catch {
        throw new Error("Credentials must be valid JSON.");
      }
      try {
        parsedSettings = JSON.parse(settings.value || "{}");
      } catch {
        throw new Error("Settings must be valid JSON.");
      }
      const body: Schemas["CreateVendorAccount"] = {
        vendor: vendorSel.value as VendorAccount["vendor"],
        name: name.value.trim(),
        credentials,
        settings: parsedSettings,
      };
      if (baseUrl.value.trim()) body.baseUrl = baseUrl.value.trim();
      await api((headers) => gateway.POST("/admin/tenants/{id}/vendor-accounts", { headers, params: tenantPath(t), body }));
      creds.value = ""; // never keep a secret in the page longer than needed
      await loadTenants();
    }, errEl);
  });
  return h("details", { class: "panel", id: "add-account" }, h("summary", {}, "Add a vendor account"), form);
}

async function issueApiKey(t: Tenant) {
  await run(async () => {
    const r = await api((headers) => gateway.POST("/admin/tenants/{id}/api-keys", { headers, params: tenantPath(t) }));
    const box = document.querySelector<HTMLElement>("#tenant-key-box");
    if (box)
      fill(box, h("div", { class: "card notice" }, h("strong", {}, "New API key (shown once, copy it now): "), h("div", { class: "secret mono" }, r.apiKey)));
    document.querySelector("#api-keys")?.replaceWith(apiKeysPanel(t, lifecycle));
  });
}

// ---------- Vendor health ----------
async function loadHealth() {
  const el = $("#health-list");
  loading(el);
  await run(async () => {
    await loadVendors();
    const query = { tenantId: opt(input("#health-tenant").value.trim()), vendor: opt<VendorAccount["vendor"]>(select("#health-vendor").value) };
    const r = await api((headers) => gateway.GET("/admin/vendor-accounts", { headers, params: { query } }));
    fill(
      el,
      table<Schemas["VendorAccountStatusList"]["data"][number]>(
        [
          { title: "Account", cell: (a) => [h("div", {}, accountLabel(a)), idText(a.id)] },
          { title: "Tenant", cell: (a) => [h("div", {}, a.tenant.name), idText(a.tenant.id)] },
          {
            title: "Circuit",
            cell: (a) => [
              a.circuit === "unknown"
                ? h(
                    "span",
                    { class: "badge", title: "No gateway process has called this account lately (each breaker publishes its transitions to Redis)." },
                    "not tracked",
                  )
                : h("span", { title: a.circuitSince ? `since ${fmtTime(a.circuitSince)}` : "" }, badge("circuit", a.circuit, a.circuit.replace("_", " "))),
              a.disabled ? h("span", { class: "badge bad" }, "disabled") : null,
            ],
          },
          { title: "Calls", num: true, cell: (a) => String(a.last15Minutes.calls) },
          {
            title: "Error rate",
            num: true,
            cell: (a) =>
              a.last15Minutes.calls
                ? h(
                    "span",
                    { class: a.last15Minutes.errorRate >= 0.2 ? "badge bad" : a.last15Minutes.errorRate > 0 ? "badge warn" : "badge ok" },
                    fmtPct(a.last15Minutes.errorRate),
                  )
                : "—",
          },
          { title: "p50", num: true, cell: (a) => fmtMs(a.last15Minutes.p50LatencyMs) },
          { title: "p95", num: true, cell: (a) => fmtMs(a.last15Minutes.p95LatencyMs) },
          { title: "Credits", num: true, cell: (a) => fmtNum(a.credits) },
          { title: "Last call", nowrap: true, cell: (a) => fmtTime(a.last15Minutes.lastCallAt) },
          {
            title: "Health probe",
            nowrap: true,
            cell: (a) =>
              a.health && a.health.ok !== null
                ? h(
                    "span",
                    { class: a.health.ok ? "badge ok" : "badge bad", title: `${a.health.detail || ""} (${fmtTime(a.health.checkedAt)})` },
                    a.health.ok ? "healthy" : "unhealthy",
                  )
                : "—",
          },
        ],
        r.data,
        { empty: "No vendor accounts match.", rowData: (a) => ({ accountId: a.id }) },
      ),
    );
  });
}

// ---------- Queues ----------
async function loadQueues() {
  const el = $("#queues-list");
  if (!el.firstChild) loading(el);
  await run(async () => {
    const r = await api((headers) => gateway.GET("/admin/queues", { headers }));
    const stat = (label: string, value: string, cls?: string) =>
      h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: `value ${cls || ""}` }, value));
    fill(
      $("#queues-stats"),
      stat("Redis", r.redis),
      stat("Outbox backlog", String(r.outbox.backlog)),
      stat("Outbox due now", String(r.outbox.due)),
      stat("Oldest due job", fmtAge(r.outbox.oldestDueAgeMs)),
    );
    $("#queues-at").textContent = `updated ${fmtTime(r.at)}`;
    type Queue = (typeof r.queues)[number];
    const c = (k: string) => (q: Queue) => (q.counts ? String(q.counts[k] || 0) : "—");
    fill(
      el,
      table<Queue>(
        [
          { title: "Queue", cell: (q) => h("strong", {}, q.name) },
          { title: "Waiting", num: true, cell: c("waiting") },
          { title: "Active", num: true, cell: c("active") },
          { title: "Delayed", num: true, cell: c("delayed") },
          { title: "Prioritized", num: true, cell: c("prioritized") },
          { title: "Failed", num: true, cell: c("failed") },
          { title: "Completed", num: true, cell: c("completed") },
          {
            title: "Status",
            cell: (q) =>
              q.error
                ? h("span", { class: "badge bad" }, q.error)
                : q.paused
                  ? h("span", { class: "badge warn" }, "paused")
                  : h("span", { class: "badge ok" }, "running"),
          },
        ],
        r.queues,
        { rowData: (q) => ({ queue: q.name }) },
      ),
    );
  });
}

/** Appends a "Load more" page to the table already shown, or shows the first page. */
function showPage<T>(el: HTMLElement, more: boolean, bodySelector: string, columns: Column<T>[], rows: readonly T[], opts: TableOptions<T>) {
  const shown = el.querySelector(bodySelector);
  if (more && el.querySelector("tbody") && shown) {
    const extra = table(columns, rows, opts);
    const tb = extra.querySelector("tbody");
    if (tb) shown.append(...Array.from(tb.children));
  } else fill(el, table(columns, rows, opts));
}

// ---------- Verifications ----------
async function loadVerifications(more = false) {
  const el = $("#ver-list");
  if (!more) {
    state.verCursor = null;
    loading(el);
  }
  await run(async () => {
    const query = {
      tenantId: opt(input("#ver-tenant").value.trim()),
      status: opt<Status>(select("#ver-status").value),
      cursor: more ? (state.verCursor ?? undefined) : undefined,
    };
    const r = await api((headers) => gateway.GET("/admin/verifications", { headers, params: { query } }));
    state.verCursor = r.nextCursor;
    $("#ver-more").hidden = !r.nextCursor;
    const columns: Column<VerificationRow>[] = [
      { title: "Verification", cell: (v) => [idText(v.id), h("div", { class: "muted small" }, fmtTime(v.createdAt), " · tenant ", idText(v.tenantId))] },
      {
        title: "Reference · vendor",
        cell: (v) => [h("div", { class: "wrap" }, v.reference || "—"), h("div", { class: "muted small" }, v.vendor || "no vendor yet")],
      },
      { title: "Status", nowrap: true, cell: (v) => [badge("verification", v.status), v.decision ? [" ", badge("decision", v.decision)] : null] },
      { title: "Reasons", cell: (v) => (v.reasons.length ? v.reasons.map((x) => h("div", { class: "mono" }, x.code)) : "—") },
    ];
    showPage(el, more, "tbody", columns, r.data, {
      empty: "No verifications match.",
      rowData: (v) => ({ verificationId: v.id }),
      onRowClick: (v) => void openVerification(v.id),
    });
    markSelectedVerification();
  });
}

function markSelectedVerification() {
  for (const tr of $$("#ver-list tr[data-verification-id]")) tr.classList.toggle("selected", tr.dataset.verificationId === state.selectedVerificationId);
}

async function openVerification(id: string) {
  state.selectedVerificationId = id;
  markSelectedVerification();
  const box = $("#ver-detail");
  loading(box);
  await run(async () => {
    const r = await api((headers) => gateway.GET("/admin/verifications/{id}/events", { headers, params: { path: { id } } }));
    const v = r.verification;
    const checks = v.checks || {};
    const checkRow = (
      name: string,
      c: { outcome: string; type?: string | null; country?: string | null; similarity?: number | null; level?: string | null } | undefined,
    ): Child => {
      if (!c) return null;
      const extra: string[] = [];
      if (c.type) extra.push(c.type);
      if (c.country) extra.push(c.country);
      if (typeof c.similarity === "number") extra.push(`similarity ${c.similarity}`);
      if (c.level) extra.push(`level ${c.level}`);
      return [h("dt", {}, name), h("dd", {}, badge("check", c.outcome, c.outcome), extra.length ? ` ${extra.join(" · ")}` : "")];
    };
    type Call = (typeof r.vendorCalls)[number];
    fill(
      box,
      h("h2", {}, "Verification"),
      idText(v.id),
      h(
        "dl",
        { class: "kv", id: "ver-summary" },
        h("dt", {}, "Status"),
        h("dd", { id: "ver-detail-status" }, badge("verification", v.status)),
        h("dt", {}, "Decision"),
        h("dd", {}, v.decision ? badge("decision", v.decision) : "—"),
        h("dt", {}, "Tenant"),
        h("dd", {}, idText(v.tenantId)),
        h("dt", {}, "Vendor"),
        h("dd", {}, v.vendor || "—", v.vendorAccountId ? [" · ", idText(v.vendorAccountId)] : null),
        h("dt", {}, "Vendor reference"),
        h("dd", {}, v.vendorReference || "—"),
        h("dt", {}, "Reference"),
        h("dd", {}, v.reference || "—"),
        h("dt", {}, "Created"),
        h("dd", {}, fmtTime(v.createdAt)),
        h("dt", {}, "Completed"),
        h("dd", {}, fmtTime(v.completedAt)),
        checkRow("Document", checks.document),
        checkRow("Liveness", checks.liveness),
        checkRow("Face match", checks.faceMatch),
        v.reasons.length
          ? [
              h("dt", {}, "Reasons"),
              h(
                "dd",
                {},
                v.reasons.map((x) =>
                  h("div", {}, h("span", { class: "mono" }, x.code), x.vendorCode ? ` (${x.vendor} ${x.vendorCode})` : "", x.message ? ` — ${x.message}` : ""),
                ),
              ),
            ]
          : null,
      ),
      h("h3", {}, `Event log (${r.data.length})`),
      r.data.length
        ? h(
            "ol",
            { class: "event-log", id: "ver-events" },
            r.data.map((e) =>
              h(
                "li",
                { dataset: { eventId: e.id, toStatus: e.toStatus || "" } },
                h(
                  "div",
                  { class: "event-head" },
                  h("span", { class: "nowrap muted" }, fmtTime(e.createdAt)),
                  h("span", { class: "badge" }, e.source),
                  h("span", { class: "mono" }, e.type),
                  h("span", { class: "event-status" }, e.fromStatus || "∅", " → ", e.toStatus ? badge("verification", e.toStatus) : "—"),
                ),
                e.detail && typeof e.detail === "object" && Object.keys(e.detail).length ? h("pre", { class: "json" }, JSON.stringify(e.detail)) : null,
              ),
            ),
          )
        : h("div", { class: "empty", id: "ver-events" }, "No events."),
      h("h3", {}, `Vendor calls (${r.vendorCalls.length})`),
      h(
        "div",
        { class: "card table-card" },
        table<Call>(
          [
            { title: "Time", nowrap: true, cell: (c) => fmtTime(c.createdAt).slice(11) },
            {
              title: "Endpoint",
              cell: (c) => [h("span", { class: "mono" }, c.endpoint), c.attempt > 1 ? h("span", { class: "muted small" }, ` try ${c.attempt}`) : null],
            },
            { title: "HTTP", num: true, cell: (c) => fmtNum(c.httpStatus) },
            {
              title: "Outcome",
              cell: (c) => h("span", { class: c.outcome === "ok" ? "badge ok" : "badge bad" }, c.errorKind ? `${c.outcome} (${c.errorKind})` : c.outcome),
            },
            { title: "Latency", num: true, cell: (c) => fmtMs(c.latencyMs) },
          ],
          r.vendorCalls,
          { empty: "No vendor calls." },
        ),
      ),
    );
  });
}

// ---------- Webhook deliveries ----------
async function loadDeliveries(more = false) {
  const el = $("#dlv-list");
  if (!more) {
    state.dlvCursor = null;
    if (!el.firstChild) loading(el);
  }
  await run(async () => {
    const query = {
      tenantId: opt(input("#dlv-tenant").value.trim()),
      status: opt<DeliveryStatus>(select("#dlv-status").value),
      cursor: more ? (state.dlvCursor ?? undefined) : undefined,
    };
    const r = await api((headers) => gateway.GET("/admin/webhook-deliveries", { headers, params: { query } }));
    state.dlvCursor = r.nextCursor;
    $("#dlv-more").hidden = !r.nextCursor;
    const columns: Column<Delivery>[] = [
      { title: "Delivery", cell: (d) => [idText(d.id), h("div", { class: "muted small" }, fmtTime(d.createdAt))] },
      { title: "Event", cell: (d) => [h("div", { class: "mono" }, d.eventType), d.verificationId ? idText(d.verificationId) : null] },
      {
        title: "Tenant / endpoint",
        wrap: true,
        cell: (d) => [
          idText(d.tenantId),
          h("div", { class: "mono" }, d.endpointUrl),
          d.endpointDisabled ? h("span", { class: "badge bad" }, "endpoint disabled") : null,
          d.endpointDisabled
            ? h(
                "button",
                {
                  class: "btn btn-small",
                  type: "button",
                  dataset: { action: "enable-endpoint", endpointId: d.endpointId },
                  onclick: () =>
                    void run(async () => {
                      await api((headers) =>
                        gateway.PATCH("/admin/webhook-endpoints/{id}", { headers, params: { path: { id: d.endpointId } }, body: { enabled: true } }),
                      );
                      await loadDeliveries(false);
                    }),
                },
                "Re-enable endpoint",
              )
            : null,
        ],
      },
      { title: "Status", cell: (d) => badge("delivery", d.status) },
      { title: "Attempts", num: true, cell: (d) => h("span", { class: "attempt-count" }, String(d.attempts.length)) },
      { title: "Last HTTP", num: true, cell: (d) => fmtNum(d.lastHttpStatus) },
      { title: "Next attempt", nowrap: true, cell: (d) => fmtTime(d.nextAttemptAt) },
      {
        title: "",
        cell: (d) => {
          const b = h("button", { class: "btn btn-small", type: "button", dataset: { action: "replay" }, "aria-label": `Replay delivery ${d.id}` }, "Replay");
          b.addEventListener("click", () => void replay(d, b));
          return b;
        },
      },
    ];
    const opts: TableOptions<Delivery> = {
      empty: "No deliveries match.",
      rowData: (d) => ({ deliveryId: d.id }),
      onRowClick: (d) => {
        if (state.openDeliveries.has(d.id)) state.openDeliveries.delete(d.id);
        else state.openDeliveries.add(d.id);
        const sub = document.querySelector<HTMLElement>(`#dlv-list tr.attempts-row[data-for="${CSS.escape(d.id)}"]`);
        if (sub) sub.hidden = !state.openDeliveries.has(d.id);
      },
      after: (d, span) =>
        h(
          "tr",
          { class: "attempts-row", dataset: { for: d.id }, hidden: !state.openDeliveries.has(d.id) },
          h(
            "td",
            { colspan: String(span) },
            table<Delivery["attempts"][number]>(
              [
                { title: "#", num: true, cell: (a) => String(a.attemptNo) },
                { title: "At", nowrap: true, cell: (a) => fmtTime(a.at) },
                { title: "HTTP", num: true, cell: (a) => fmtNum(a.httpStatus) },
                { title: "Error", cell: (a) => a.error || "—" },
                { title: "Latency", num: true, cell: (a) => fmtMs(a.latencyMs) },
              ],
              d.attempts,
              { empty: "No attempt yet." },
            ),
          ),
        ),
    };
    showPage(el, more, ":scope > table > tbody", columns, r.data, opts);
  });
}

async function replay(d: Delivery, button: HTMLButtonElement) {
  button.disabled = true;
  const ok = await run(async () => {
    await api((headers) => gateway.POST("/admin/webhook-deliveries/{id}/replay", { headers, params: { path: { id: d.id } } }));
    return true;
  });
  if (!ok) {
    button.disabled = false;
    return;
  }
  button.textContent = "Queued";
  // the deliver worker picks the replay up within moments: show its attempt
  setTimeout(() => {
    if (currentTab() === "deliveries") void loadDeliveries();
  }, 1200);
}

// ---------- Vendor events ----------
async function loadEvents() {
  const el = $("#evt-list");
  loading(el);
  await run(async () => {
    const query = { accountId: opt(input("#evt-account").value.trim()), type: opt(input("#evt-type").value.trim()) };
    const r = await api((headers) => gateway.GET("/admin/vendor-events", { headers, params: { query } }));
    const typeBadge = (t: string) => h("span", { class: `badge ${/credit/i.test(t) ? "warn" : /unknown|anomal|fail/i.test(t) ? "bad" : "info"}` }, t);
    fill(
      el,
      table<Schemas["VendorEvent"]>(
        [
          { title: "Received", nowrap: true, cell: (e) => fmtTime(e.createdAt) },
          { title: "Vendor", cell: (e) => e.vendor },
          { title: "Account", cell: (e) => idText(e.vendorAccountId) },
          { title: "Type", cell: (e) => typeBadge(e.type) },
          { title: "Vendor id", cell: (e) => h("span", { class: "mono" }, e.externalId) },
          { title: "Deliveries", num: true, cell: (e) => String(e.deliveries) },
          { title: "Last seen", nowrap: true, cell: (e) => fmtTime(e.lastSeenAt) },
          { title: "Payload", cell: (e) => h("details", {}, h("summary", {}, "show"), json(e.payload)) },
        ],
        r.data,
        { empty: "No vendor events.", rowData: (e) => ({ eventId: e.id }) },
      ),
    );
  });
}

// ---------- Audit log ----------
async function loadAudit() {
  const el = $("#audit-list");
  loading(el);
  await run(async () => {
    const r = await api((headers) => gateway.GET("/admin/audit-log", { headers }));
    fill(
      el,
      table<Schemas["AuditEntry"]>(
        [
          { title: "Time", nowrap: true, cell: (a) => fmtTime(a.createdAt) },
          { title: "Actor", cell: (a) => a.actor },
          { title: "Action", cell: (a) => h("span", { class: "mono" }, a.action) },
          { title: "Entity", cell: (a) => [h("div", {}, a.entityType), idText(a.entityId)] },
          { title: "Before", cell: (a) => (a.before === null || a.before === undefined ? "—" : json(a.before)) },
          { title: "After", cell: (a) => (a.after === null || a.after === undefined ? "—" : json(a.after)) },
        ],
        r.data,
        { empty: "No changes recorded yet.", rowData: (a) => ({ auditId: a.id, action: a.action, entityId: a.entityId }) },
      ),
    );
  });
}

const loaders: Record<Tab, () => Promise<void>> = {
  tenants: loadTenants,
  health: loadHealth,
  queues: loadQueues,
  verifications: () => loadVerifications(false),
  deliveries: () => loadDeliveries(false),
  events: loadEvents,
  audit: loadAudit,
  operators: () => loadOperators($("#op-list"), lifecycle),
};

// ---------- wiring ----------
document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const token = input("#token").value.trim();
    if (token) void signIn(token);
  });
  $("#signout").addEventListener("click", () => showLogin());
  $("#alert-close").addEventListener("click", hideAlert);
  window.addEventListener("hashchange", () => {
    if (sessionStorage.getItem(TOKEN_KEY)) activate(currentTab());
  });
  for (const b of $$("[data-refresh]")) b.addEventListener("click", () => void loaders[b.dataset.refresh as Tab]());
  $("#tenant-filter").addEventListener("input", renderTenantList);
  $("#ver-more").addEventListener("click", () => void loadVerifications(true));
  $("#dlv-more").addEventListener("click", () => void loadDeliveries(true));
  const onEnter: Record<string, Tab> = {
    "ver-tenant": "verifications",
    "dlv-tenant": "deliveries",
    "health-tenant": "health",
    "evt-account": "events",
    "evt-type": "events",
  };
  for (const [id, tab] of Object.entries(onEnter))
    $(`#${id}`).addEventListener("keydown", (ev) => {
      if ((ev as KeyboardEvent).key === "Enter") void loaders[tab]();
    });
  const onChange: Record<string, Tab> = { "ver-status": "verifications", "dlv-status": "deliveries", "health-vendor": "health" };
  for (const [id, tab] of Object.entries(onChange)) $(`#${id}`).addEventListener("change", () => void loaders[tab]());

  $("#tenant-create").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const errEl = $(".form-error", form);
    void run(async () => {
      const name = input("#tenant-name").value.trim();
      const t = await api((headers) => gateway.POST("/admin/tenants", { headers, body: { name } }));
      input("#tenant-name").value = "";
      fill(
        $("#tenant-created"),
        h("strong", {}, `Tenant “${t.name}” created.`),
        " ",
        idText(t.id),
        h("div", {}, "Its API key is shown only this once. Copy it now:"),
        h("div", { class: "secret mono", id: "new-api-key" }, t.apiKey),
      );
      $("#tenant-created").hidden = false;
      await loadTenants();
      selectTenant(t.id);
    }, errEl);
  });

  if (sessionStorage.getItem(TOKEN_KEY)) enterApp();
  else showLogin();
});
