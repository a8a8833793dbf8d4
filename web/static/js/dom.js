// Small DOM helpers: building elements and moving them without losing focus.

const SVG_NS = "http://www.w3.org/2000/svg";

/** `url` when a link may lead there (http or https, absolute or on this origin), else null: a
 * network's answer ("javascript:…") must never become a link on the board's origin. Every
 * href set through h() and setAttr() passes here. */
export function safeHref(url) {
  if (typeof url !== "string" || url === "") return null;
  let parsed;
  try {
    parsed = new URL(url, window.location.href);
  } catch {
    return null;
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:" ? url : null;
}

/** h("button", {class: "x", onclick: fn}, "text", child) → element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, raw] of Object.entries(attrs)) {
    const value = key === "href" ? safeHref(raw) : raw;
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== "string") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An <svg><use></svg> glyph from one of our sprites ("ui" or "networks"). */
export function icon(name, sprite = "ui", className = "icon") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `/static/icons/${sprite}.svg#${name}`);
  svg.append(use);
  return svg;
}

/** A button showing only a glyph; its label is read out and shown as a tooltip. */
export function iconButton(name, label, onclick, className = "icon-btn") {
  return h("button", { type: "button", class: className, title: label, "aria-label": label, onclick },
    icon(name));
}

/** Set text only when it changed (keeps text selection and avoids needless layout). */
export function setText(el, text) {
  const value = text ?? "";
  if (el.textContent !== value) el.textContent = value;
}

/** Set or remove an attribute only when it changed. */
export function setAttr(el, name, raw) {
  const value = name === "href" ? safeHref(raw) : raw;
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else {
    const text = value === true ? "" : String(value);
    if (el.getAttribute(name) !== text) el.setAttribute(name, text);
  }
}

/** Insert or move `node` before `ref` in `parent`; a move keeps focus where the browser can. */
export function place(parent, node, ref = null) {
  if (node.parentNode === parent && node.nextSibling === ref) return;
  if (node.isConnected && parent.isConnected && typeof parent.moveBefore === "function") {
    try {
      parent.moveBefore(node, ref);
      return;
    } catch {
      // moveBefore refuses some moves (across documents, into a detached tree): insert instead.
    }
  }
  parent.insertBefore(node, ref);
}

/** Make `parent`'s children exactly `nodes`, in that order, touching only what is out of place. */
export function reconcile(parent, nodes, { keep = () => false } = {}) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) {
    if (!wanted.has(child) && !keep(child)) child.remove();
  }
  let cursor = parent.firstElementChild;
  for (const node of nodes) {
    while (cursor && keep(cursor)) cursor = cursor.nextElementSibling;
    if (cursor === node) {
      cursor = cursor.nextElementSibling;
    } else {
      place(parent, node, cursor);
    }
  }
}
