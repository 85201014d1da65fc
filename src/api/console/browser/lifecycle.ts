// Credential lifecycle in the console (issue 11): who is signed in, a tenant's API keys (list, revoke), a vendor
// account's credentials and settings (PATCH, merged key by key and validated by the vendor's schemas), disabling
// and re-enabling it, and named operators (create with a token shown once, revoke). Every change is audited with
// the operator by the API.
import { type Auth, type Schemas, gateway } from "./api.js";
import { fill, fmtTime, h, idText, table } from "./dom.js";

type Tenant = Schemas["Tenant"];
type VendorAccount = Tenant["vendorAccounts"][number];

export interface LifecycleDeps {
  api: <T>(call: (auth: Auth) => Promise<{ data?: T; error?: unknown; response: Response }>) => Promise<T>;
  run: <T>(fn: () => Promise<T>, errorEl?: HTMLElement) => Promise<T | undefined>;
  /** an account changed: reload the tenant and redraw it */
  changed: () => Promise<void>;
}

/** "Signed in as alice (viewer)" in the top bar. */
export async function showWhoAmI(deps: LifecycleDeps): Promise<void> {
  const el = document.querySelector<HTMLElement>("#whoami");
  if (!el) return;
  await deps.run(async () => {
    const me = await deps.api((headers) => gateway.GET("/admin/whoami", { headers }));
    el.textContent = `Signed in as ${me.name} (${me.role}${me.bootstrap ? ", bootstrap token" : ""})`;
    el.dataset.role = me.role;
    el.hidden = false;
  });
}

export function apiKeysPanel(t: Tenant, deps: LifecycleDeps): HTMLElement {
  const errEl = h("p", { class: "form-error", role: "alert", hidden: true });
  const content = h("div", {}, h("p", { class: "muted small" }, "Loading API keys…"));
  const box = h("div", { id: "api-keys" }, content, errEl);
  const load = () =>
    void deps.run(async () => {
      const r = await deps.api((headers) => gateway.GET("/admin/tenants/{id}/api-keys", { headers, params: { path: { id: t.id } } }));
      fill(
        content,
        h("h3", {}, "API keys"),
        h(
          "p",
          { class: "muted small" },
          "Several keys may be live: roll a key by creating the next one, moving the tenant over, then revoking the old one (refused at once by every gateway process).",
        ),
        h(
          "div",
          { class: "card table-card" },
          table<(typeof r.data)[number]>(
            [
              { title: "Key", cell: (k) => [h("span", { class: "mono" }, `…${k.lastFour}`), idText(k.id)] },
              { title: "Created", nowrap: true, cell: (k) => fmtTime(k.createdAt) },
              {
                title: "State",
                cell: (k) => (k.revokedAt ? h("span", { class: "badge bad" }, `revoked ${fmtTime(k.revokedAt)}`) : h("span", { class: "badge ok" }, "live")),
              },
              {
                title: "",
                cell: (k) =>
                  k.revokedAt
                    ? null
                    : h(
                        "button",
                        {
                          class: "btn btn-small",
                          type: "button",
                          dataset: { action: "revoke-key", keyId: k.id },
                          onclick: () =>
                            void deps.run(async () => {
                              if (!confirm(`Revoke the key ending …${k.lastFour}? Calls with it are refused at once.`)) return;
                              await deps.api((headers) =>
                                gateway.DELETE("/admin/tenants/{id}/api-keys/{keyId}", { headers, params: { path: { id: t.id, keyId: k.id } } }),
                              );
                              load();
                            }, errEl),
                        },
                        "Revoke",
                      ),
              },
            ],
            r.data,
            { rowData: (k) => ({ keyId: k.id }) },
          ),
        ),
      );
    }, errEl);
  load();
  return box;
}

/** Enable/disable and credential or settings updates of one vendor account. */
export function accountActions(a: VendorAccount, deps: LifecycleDeps): HTMLElement {
  const errEl = h("p", { class: "form-error", role: "alert", hidden: true });
  const patch = (body: Schemas["UpdateVendorAccount"]) =>
    deps.run(async () => {
      await deps.api((headers) => gateway.PATCH("/admin/vendor-accounts/{id}", { headers, params: { path: { id: a.id } }, body }));
      await deps.changed();
    }, errEl);
  const creds = h("textarea", {
    name: "credentials",
    spellcheck: "false",
    autocomplete: "off",
    placeholder: '{"apiKey": "…"} — only the keys to change; null removes one',
  });
  const settings = h("textarea", { name: "settings", spellcheck: "false", placeholder: '{"concurrency": 4}' });
  const parse = (el: HTMLTextAreaElement, what: string): Record<string, unknown> | undefined => {
    if (!el.value.trim()) return undefined;
    try {
      const v = JSON.parse(el.value) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      /* reported below */
    }
    throw new Error(`${what} must be a JSON object`);
  };
  return h(
    "div",
    { class: "account-actions", dataset: { accountId: a.id } },
    a.disabled ? h("span", { class: "badge bad" }, "disabled") : null,
    h(
      "button",
      { class: "btn btn-small", type: "button", dataset: { action: a.disabled ? "enable" : "disable" }, onclick: () => void patch({ disabled: !a.disabled }) },
      a.disabled ? "Enable" : "Disable",
    ),
    h(
      "details",
      {},
      h("summary", {}, "Update credentials or settings"),
      creds,
      settings,
      h(
        "button",
        {
          class: "btn btn-small",
          type: "button",
          dataset: { action: "update-account" },
          onclick: () =>
            void deps.run(async () => {
              const body: Schemas["UpdateVendorAccount"] = {};
              const c = parse(creds, "Credentials");
              const s = parse(settings, "Settings");
              if (c) body.credentials = c;
              if (s) body.settings = s;
              await deps.api((headers) => gateway.PATCH("/admin/vendor-accounts/{id}", { headers, params: { path: { id: a.id } }, body }));
              await deps.changed();
            }, errEl),
        },
        "Save",
      ),
    ),
    errEl,
  );
}

/** The Operators screen: who may sign in, with which role; tokens are shown once. */
export async function loadOperators(el: HTMLElement, deps: LifecycleDeps): Promise<void> {
  await deps.run(async () => {
    const r = await deps.api((headers) => gateway.GET("/admin/operators", { headers }));
    const name = h("input", { id: "op-name", type: "text", maxlength: "100", placeholder: "name", required: true });
    const role = h("select", { id: "op-role" }, h("option", { value: "viewer" }, "viewer (read only)"), h("option", { value: "admin" }, "admin"));
    const result = h("div", { id: "op-created" });
    const errEl = h("p", { class: "form-error", role: "alert", hidden: true });
    fill(
      el,
      h(
        "div",
        { class: "card" },
        h("h3", {}, "New operator"),
        name,
        role,
        h(
          "button",
          {
            class: "btn btn-primary",
            type: "button",
            id: "op-create",
            onclick: () =>
              void deps.run(async () => {
                const created = await deps.api((headers) =>
                  gateway.POST("/admin/operators", { headers, body: { name: name.value.trim(), role: role.value as "viewer" | "admin" } }),
                );
                await loadOperators(el, deps);
                const box = document.querySelector<HTMLElement>("#op-created");
                if (box)
                  fill(
                    box,
                    h(
                      "div",
                      { class: "card notice" },
                      h("strong", {}, `Token for ${created.name} (shown once, copy it now): `),
                      h("div", { class: "secret mono" }, created.token),
                    ),
                  );
              }, errEl),
          },
          "Create",
        ),
        errEl,
        result,
      ),
      h(
        "div",
        { class: "card table-card" },
        table<(typeof r.data)[number]>(
          [
            { title: "Operator", cell: (o) => [h("div", {}, o.name), idText(o.id)] },
            { title: "Role", cell: (o) => o.role },
            { title: "Created", nowrap: true, cell: (o) => `${fmtTime(o.createdAt)} by ${o.createdBy}` },
            {
              title: "State",
              cell: (o) => (o.revokedAt ? h("span", { class: "badge bad" }, `revoked ${fmtTime(o.revokedAt)}`) : h("span", { class: "badge ok" }, "active")),
            },
            {
              title: "",
              cell: (o) =>
                o.revokedAt
                  ? null
                  : h(
                      "button",
                      {
                        class: "btn btn-small",
                        type: "button",
                        dataset: { action: "revoke-operator" },
                        onclick: () =>
                          void deps.run(async () => {
                            if (!confirm(`Revoke ${o.name}'s token?`)) return;
                            await deps.api((headers) => gateway.DELETE("/admin/operators/{id}", { headers, params: { path: { id: o.id } } }));
                            await loadOperators(el, deps);
                          }),
                      },
                      "Revoke",
                    ),
            },
          ],
          r.data,
          { empty: "No operators yet: only the bootstrap ADMIN_TOKEN signs in.", rowData: (o) => ({ operatorId: o.id }) },
        ),
      ),
    );
  });
}
