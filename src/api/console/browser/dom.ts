// Tiny DOM helpers of the console. Every piece of data goes into the page through text nodes
// (never HTML parsing): `h("td", {}, value)` makes `value` a text node whatever it holds.

export type Child = Node | string | number | null | undefined | false | readonly Child[];
type Handler = (ev: Event) => void;
export interface Props {
  class?: string | null;
  text?: string;
  dataset?: Record<string, string>;
  value?: string;
  disabled?: boolean;
  selected?: boolean;
  checked?: boolean;
  hidden?: boolean;
  onclick?: Handler;
  [attribute: string]: string | number | boolean | null | undefined | Handler | Record<string, string>;
}

export const $ = <E extends Element = HTMLElement>(sel: string, root: ParentNode = document): E => root.querySelector<E>(sel)!;
export const $$ = <E extends Element = HTMLElement>(sel: string, root: ParentNode = document): E[] => Array.from(root.querySelectorAll<E>(sel));
export const input = (sel: string) => $<HTMLInputElement>(sel);
export const select = (sel: string) => $<HTMLSelectElement>(sel);

/** h("td", { class: "num" }, "text", childNode): strings always become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") (el as HTMLElementTagNameMap[K] & { value: string }).value = String(v);
    else if (k === "disabled" || k === "selected" || k === "checked" || k === "hidden") (el as unknown as Record<string, boolean>)[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append<E extends Element>(el: E, children: readonly Child[]): E {
  for (const c of (children as Child[]).flat(Infinity as 1) as Child[]) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fill<E extends Element>(el: E, ...children: Child[]): E {
  el.replaceChildren();
  return append(el, children);
}

const pad = (n: number) => String(n).padStart(2, "0");
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
export function fmtAge(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
export const fmtNum = (n: number | null | undefined) => (n === null || n === undefined ? "—" : String(n));
export const fmtMs = (n: number | null | undefined) => (n === null || n === undefined ? "—" : `${n} ms`);
export const fmtPct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.1 ? 1 : 0)} %`;
export const json = (v: unknown) => h("pre", { class: "json" }, JSON.stringify(v, null, 2));
export const idText = (id: string) => h("span", { class: "id", title: id }, id);

const BADGES = {
  verification: { completed: "ok", failed: "bad", expired: "warn", cancelled: "warn", pending: "info", processing: "info", awaiting_user: "info" },
  decision: { approved: "ok", declined: "bad", review: "warn" },
  delivery: { succeeded: "ok", failed: "bad", retrying: "warn", pending: "info" },
  circuit: { closed: "ok", open: "bad", isolated: "bad", half_open: "warn", unknown: "" },
  check: { pass: "ok", fail: "bad", inconclusive: "warn", not_performed: "" },
} as const satisfies Record<string, Record<string, string>>;
export const badge = (kind: keyof typeof BADGES, value: string | null | undefined, label?: string) =>
  h("span", { class: `badge ${(value && (BADGES[kind] as Record<string, string>)[value]) || ""}` }, label || value || "—");

export interface Column<T> {
  title: string;
  num?: boolean;
  wrap?: boolean;
  nowrap?: boolean;
  cell: (row: T) => Child;
}
export interface TableOptions<T> {
  empty?: string;
  rowData?: (row: T) => Record<string, string>;
  onRowClick?: (row: T, tr: HTMLTableRowElement) => void;
  /** an extra row under each row (e.g. a delivery's attempts) */
  after?: (row: T, span: number) => HTMLTableRowElement | null;
}

export function table<T>(columns: Column<T>[], rows: readonly T[], opts: TableOptions<T> = {}): HTMLElement {
  if (!rows.length) return h("div", { class: "empty" }, opts.empty || "Nothing to show.");
  const head = h(
    "thead",
    {},
    h(
      "tr",
      {},
      columns.map((c) => h("th", { class: c.num ? "num" : null }, c.title)),
    ),
  );
  const body = h("tbody");
  for (const row of rows) {
    const tr = h("tr", { dataset: opts.rowData ? opts.rowData(row) : undefined, class: opts.onRowClick ? "clickable" : null });
    for (const c of columns)
      tr.append(h("td", { class: [c.num ? "num" : "", c.wrap ? "wrap" : "", c.nowrap ? "nowrap" : ""].join(" ").trim() || null }, c.cell(row)));
    const onRowClick = opts.onRowClick;
    if (onRowClick)
      tr.addEventListener("click", (ev) => {
        if ((ev.target as Element).closest("button, a, summary, input, select")) return;
        onRowClick(row, tr);
      });
    body.append(tr);
    if (opts.after) {
      const extra = opts.after(row, columns.length);
      if (extra) body.append(extra);
    }
  }
  return h("table", {}, head, body);
}
