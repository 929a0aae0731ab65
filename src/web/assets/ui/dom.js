// Element building shared by the page's modules: attribute values and text children only, so
// nothing is ever parsed as HTML.

// el('p', {class: 'x'}, 'text', child...): an element with attributes and children
// (strings become text nodes).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}
