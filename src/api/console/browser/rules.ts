// Routing rules in the console (issue 14): list, add, reorder and delete a tenant's rules (check set, country,
// ordered accounts, weights, shadow account and sample rate), saved through PUT /admin/tenants/:id/routing, which
// validates them with the same schema as any API call (and answers which field is wrong); each save is audited
// with before and after. Beside them: the shadow-run report per rule and the tenant's analytics as charts.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";
import { type Auth, type Schemas, gateway } from "./api.js";
import { type Child, fill, fmtMs, fmtPct, h, idText, table } from "./dom.js";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

type Tenant = Schemas["Tenant"];
type Routing = Schemas["Routing"];
type Rule = Routing["rules"][number];
type CheckName = "document" | "liveness" | "face_match";
const CHECKS: CheckName[] = ["document", "liveness", "face_match"];

export interface RulesDeps {
  api: <T>(call: (auth: Auth) => Promise<{ data?: T; error?: unknown; response: Response }>) => Promise<T>;
  run: <T>(fn: () => Promise<T>, errorEl?: HTMLElement) => Promise<T | undefined>;
  accountLabel: (a: Tenant["vendorAccounts"][number]) => string;
  /** the tenant's routing changed (saved): redraw what shows it */
  saved: (t: Tenant, routing: Routing) => void;
}

const drafts = new Map<string, Rule[]>();
const clone = (rules: readonly Rule[]): Rule[] => JSON.parse(JSON.stringify(rules)) as Rule[];
const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function rulesEditor(t: Tenant, deps: RulesDeps): HTMLElement {
  const saved = t.routing?.rules ?? [];
  if (!drafts.has(t.id)) drafts.set(t.id, clone(saved));
  const draft = drafts.get(t.id)!;
  const box = h("div", { id: "rules-editor" });
  const redraw = () => box.replaceWith(rulesEditor(t, deps));
  const accounts = t.vendorAccounts;
  const errEl = h("p", { class: "form-error", role: "alert", hidden: true, id: "rules-error" });
  const status = h(
    "span",
    { class: "muted", id: "rules-status" },
    JSON.stringify(saved) === JSON.stringify(draft) ? "Saved rules are in effect" : "Unsaved changes",
  );
  const changed = () => {
    status.className = "dirty";
    status.textContent = "Unsaved changes";
  };

  const ruleRow = (rule: Rule, i: number): HTMLElement => {
    const field = (label: string, el: HTMLElement) => h("label", { class: "rule-field" }, h("span", { class: "small muted" }, label), el);
    const checks = CHECKS.map((c) =>
      h(
        "label",
        { class: "inline" },
        h("input", {
          type: "checkbox",
          name: `rule-${i}-check-${c}`,
          checked: rule.checks?.includes(c) ?? false,
          onchange: (ev) => {
            const on = CHECKS.filter((x) => (x === c ? (ev.target as HTMLInputElement).checked : (rule.checks ?? []).includes(x)));
            if (on.length) rule.checks = on;
            else delete rule.checks;
            changed();
          },
        }),
        ` ${c}`,
      ),
    );
    const country = h("input", {
      type: "text",
      name: `rule-${i}-country`,
      maxlength: "2",
      placeholder: "any",
      value: rule.country ?? "",
      onchange: (ev) => {
        const v = (ev.target as HTMLInputElement).value.trim().toUpperCase();
        if (v) rule.country = v;
        else delete rule.country;
        changed();
      },
    });
    const accountIds = h("input", {
      type: "text",
      name: `rule-${i}-accounts`,
      class: "mono",
      value: rule.accounts.join(", "),
      placeholder: "account ids, in fall-over order",
      onchange: (ev) => {
        rule.accounts = list((ev.target as HTMLInputElement).value);
        changed();
      },
    });
    const weights = h("input", {
      type: "text",
      name: `rule-${i}-weights`,
      value: rule.weights?.join(", ") ?? "",
      placeholder: "none (first account primary)",
      onchange: (ev) => {
        const w = list((ev.target as HTMLInputElement).value).map(Number);
        if (w.length) rule.weights = w;
        else delete rule.weights;
        changed();
      },
    });
    const shadow = h(
      "select",
      {
        name: `rule-${i}-shadow`,
        onchange: (ev) => {
          const id = (ev.target as HTMLSelectElement).value;
          if (id) rule.shadow = { accountId: id, sampleRate: rule.shadow?.sampleRate ?? 0.1 };
          else delete rule.shadow;
          rate.disabled = !id;
          rate.value = rule.shadow ? String(Math.round(rule.shadow.sampleRate * 100)) : "";
          changed();
        },
      },
      h("option", { value: "" }, "no shadow"),
      accounts.map((a) => h("option", { value: a.id, selected: rule.shadow?.accountId === a.id }, `${deps.accountLabel(a)} (${a.id})`)),
    );
    const rate = h("input", {
      type: "number",
      name: `rule-${i}-sample`,
      min: "0",
      max: "100",
      step: "1",
      disabled: !rule.shadow,
      value: rule.shadow ? String(Math.round(rule.shadow.sampleRate * 100)) : "",
      onchange: (ev) => {
        if (rule.shadow) rule.shadow.sampleRate = Number((ev.target as HTMLInputElement).value) / 100;
        changed();
      },
    });
    const move = (j: number) => () => {
      if (j < 0 || j >= draft.length) return;
      [draft[i], draft[j]] = [draft[j]!, draft[i]!];
      redraw();
    };
    return h(
      "fieldset",
      { class: "rule card", dataset: { rule: String(i) } },
      h("legend", {}, `Rule ${i + 1}`, rule.id ? idText(rule.id) : h("span", { class: "small muted" }, " (named when saved)")),
      h(
        "div",
        { class: "rule-grid" },
        field("Checks (none: any)", h("span", {}, checks)),
        field("Country", country),
        field("Accounts", accountIds),
        field("Weights", weights),
        field("Shadow account", shadow),
        field("Sample %", rate),
      ),
      h(
        "div",
        { class: "route-actions" },
        h("button", { class: "btn btn-small", type: "button", disabled: i === 0, "aria-label": `Move rule ${i + 1} up`, onclick: move(i - 1) }, "↑"),
        h(
          "button",
          { class: "btn btn-small", type: "button", disabled: i === draft.length - 1, "aria-label": `Move rule ${i + 1} down`, onclick: move(i + 1) },
          "↓",
        ),
        h("button", { class: "btn btn-small", type: "button", dataset: { action: "delete-rule" }, onclick: () => (draft.splice(i, 1), redraw()) }, "Delete"),
      ),
    );
  };

  const save = h("button", { class: "btn btn-primary", type: "button", id: "rules-save" }, "Save rules");
  save.addEventListener(
    "click",
    () =>
      void deps.run(async () => {
        const body: Routing = { default: t.routing?.default ?? [], rules: draft };
        const res = await deps.api((headers) => gateway.PUT("/admin/tenants/{id}/routing", { headers, params: { path: { id: t.id } }, body }));
        drafts.set(t.id, clone(res.routing.rules));
        deps.saved(t, res.routing);
      }, errEl),
  );
  fill(
    box,
    h("h3", {}, `Routing rules (${draft.length})`),
    h(
      "p",
      { class: "muted small" },
      "The first rule whose checks and country match a verification routes it; otherwise the default list. Weights split a rule's traffic between its accounts; a shadow account decides a sample again after the primary, for the report below.",
    ),
    draft.map(ruleRow),
    h(
      "div",
      { class: "route-save" },
      h(
        "button",
        {
          class: "btn",
          type: "button",
          id: "rule-add",
          disabled: accounts.length === 0,
          onclick: () => (draft.push({ accounts: accounts[0] ? [accounts[0].id] : [] }), redraw()),
        },
        "Add rule",
      ),
      save,
      h("button", { class: "btn", type: "button", onclick: () => (drafts.set(t.id, clone(saved)), redraw()) }, "Revert"),
      status,
    ),
    errEl,
    shadowReport(t, deps),
    analyticsCharts(t, deps),
  );
  return box;
}

function shadowReport(t: Tenant, deps: RulesDeps): HTMLElement {
  const errEl = h("p", { class: "form-error", role: "alert", hidden: true });
  const content = h("div", {}, h("p", { class: "muted small" }, "Loading the shadow report…"));
  const box = h("div", { id: "shadow-report" }, content, errEl);
  const load = () =>
    void deps.run(async () => {
      const r = await deps.api((headers) => gateway.GET("/admin/shadow-reports", { headers, params: { query: { tenantId: t.id } } }));
      const side = (s: { p50LatencyMs: number | null; p95LatencyMs: number | null; cost: { total: number; currency: string | null } | null }) =>
        `p50 ${fmtMs(s.p50LatencyMs)}, p95 ${fmtMs(s.p95LatencyMs)}${s.cost ? `, ${s.cost.total.toFixed(2)} ${s.cost.currency ?? ""}` : ""}`;
      const confusion = (c: Record<string, Record<string, number>>): Child[] =>
        Object.entries(c).flatMap(([p, row]) => Object.entries(row).map(([s, n]) => h("div", {}, `${p} → ${s}: ${n}`)));
      fill(
        content,
        h("h3", {}, "Shadow runs"),
        r.rules.length
          ? h(
              "div",
              { class: "card table-card" },
              table<(typeof r.rules)[number]>(
                [
                  { title: "Rule", cell: (x) => idText(x.ruleId) },
                  { title: "Runs", num: true, cell: (x) => String(x.runs) },
                  { title: "Compared", num: true, cell: (x) => String(x.compared) },
                  { title: "Agreement", num: true, cell: (x) => (x.agreementRate === null ? "—" : fmtPct(x.agreementRate)) },
                  { title: "Primary → shadow", cell: (x) => confusion(x.confusion) },
                  {
                    title: "Reasons that differ",
                    cell: (x) => Object.entries(x.reasonsDiffer).map(([code, d]) => h("div", {}, `${code}: primary ${d.primaryOnly}, shadow ${d.shadowOnly}`)),
                  },
                  { title: "Primary", cell: (x) => side(x.primary) },
                  { title: "Shadow", cell: (x) => side(x.shadow) },
                ],
                r.rules,
                { rowData: (x) => ({ ruleId: x.ruleId }) },
              ),
            )
          : h("p", { class: "muted" }, "No shadow runs yet: give a rule a shadow account."),
        h("button", { class: "btn btn-small", type: "button", id: "shadow-refresh", onclick: load }, "Refresh report"),
      );
    }, errEl);
  load();
  return box;
}

function analyticsCharts(t: Tenant, deps: RulesDeps): HTMLElement {
  const canvas = h("canvas", {
    id: "analytics-chart",
    width: "720",
    height: "240",
    role: "img",
    "aria-label": "Vendor calls, p95 latency and approval rate per day, last 30 days",
  });
  const errEl = h("p", { class: "form-error", role: "alert", hidden: true });
  const box = h("div", { id: "analytics" }, h("h3", {}, "Last 30 days"), canvas, errEl);
  void deps.run(async () => {
    const to = new Date(Date.now() + 86_400_000);
    const from = new Date(to.getTime() - 31 * 86_400_000);
    const r = await deps.api((headers) =>
      gateway.GET("/admin/analytics", { headers, params: { query: { tenantId: t.id, from: from.toISOString(), to: to.toISOString(), bucket: "day" } } }),
    );
    const days = [...new Set(r.data.map((d) => d.bucket.slice(0, 10)))].sort();
    const vendors = [...new Set(r.data.map((d) => d.vendor ?? "none"))];
    const at = (day: string, vendor: string) => r.data.find((d) => d.bucket.startsWith(day) && (d.vendor ?? "none") === vendor);
    const existing = Chart.getChart(canvas);
    existing?.destroy();
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: days,
        datasets: [
          ...vendors.map((v) => ({ type: "bar" as const, label: `${v} calls`, data: days.map((d) => at(d, v)?.calls ?? 0), yAxisID: "calls" })),
          ...vendors.map((v) => ({
            type: "line" as const,
            label: `${v} approval rate`,
            data: days.map((d) => at(d, v)?.verifications.approvalRate ?? null),
            yAxisID: "rate",
          })),
        ],
      },
      options: {
        animation: false,
        responsive: false,
        scales: { calls: { type: "linear", position: "left", beginAtZero: true }, rate: { type: "linear", position: "right", min: 0, max: 1 } },
      },
    });
    box.dataset.days = String(days.length);
    box.dataset.calls = String(r.data.reduce((n, d) => n + d.calls, 0));
  }, errEl);
  return box;
}
