// md.js: a guide's Markdown made into page elements, safely.
//
// An ES module, no dependency.  parse(text) gives a tree of plain objects
// {tag, kids, href?} (strings for text); toDom(tree, doc) builds elements
// with createElement and textContent only, never innerHTML, so that raw
// HTML in a guide is shown as the text it is, and no script, style, frame
// or image can come of it.  An image ![alt](src) shows its alt text (a
// guide makes no request: Content-Security-Policy default-src 'self', and
// nothing remote); a link keeps its href only when it is http:, https:,
// mailto:, tel: or a page of this UI (#/...).
//
// What it reads: # to ###### headings, paragraphs, - * + and 1. lists,
// > quotes, ``` code blocks, --- rules, **bold**, *italic* or _italic_,
// `code`, [text](url).

const SAFE_HREF = /^(https?:\/\/|mailto:|tel:|#\/)/i;

export function safeHref(url) {
	const u = String(url || "").trim();
	return SAFE_HREF.test(u) && !/[\s"'<>]/.test(u) ? u : null;
}

// Inline marks of one line (or a paragraph's lines joined).
export function inline(s) {
	const out = [];
	const re = /(`[^`]+`)|(!?\[[^\]]*\]\([^)\s]*\))|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)/;
	while (s.length) {
		const m = re.exec(s);
		if (!m) {
			out.push(s);
			break;
		}
		if (m.index) out.push(s.slice(0, m.index));
		const tok = m[0];
		if (m[1]) {
			out.push({ tag: "code", kids: [tok.slice(1, -1)] });
		} else if (m[2]) {
			const lm = /^(!?)\[([^\]]*)\]\(([^)\s]*)\)$/.exec(tok);
			if (lm[1] === "!") {
				// An image: its words only.
				if (lm[2]) out.push(lm[2]);
			} else {
				const href = safeHref(lm[3]);
				out.push(href ? { tag: "a", href: href,
				    kids: inline(lm[2] || href) } :
				    { tag: "span", kids: inline(lm[2]) });
			}
		} else if (m[3]) {
			out.push({ tag: "strong", kids: inline(tok.slice(2, -2)) });
		} else {
			out.push({ tag: "em", kids: inline(tok.slice(1, -1)) });
		}
		s = s.slice(m.index + tok.length);
	}
	return out;
}

export function parse(text) {
	const lines = String(text || "").replace(/\r\n?/g, "\n").split("\n");
	const blocks = [];
	let para = null, list = null, quote = null, code = null;
	const end = () => {
		if (para) blocks.push({ tag: "p", kids: inline(para.join(" ")) });
		if (quote) blocks.push({ tag: "blockquote",
		    kids: [{ tag: "p", kids: inline(quote.join(" ")) }] });
		para = quote = null;
		if (list) blocks.push(list);
		list = null;
	};
	for (const line of lines) {
		if (code) {
			if (/^```/.test(line)) {
				blocks.push({ tag: "pre", kids: [{ tag: "code",
				    kids: [code.join("\n")] }] });
				code = null;
			} else
				code.push(line);
			continue;
		}
		let m;
		if (/^```/.test(line)) {
			end();
			code = [];
		} else if (/^\s*$/.test(line)) {
			end();
		} else if ((m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line))) {
			end();
			// A guide's headings sit under the page's own h1.
			const level = Math.min(6, m[1].length + 1);
			blocks.push({ tag: "h" + level, kids: inline(m[2]) });
		} else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
			end();
			blocks.push({ tag: "hr", kids: [] });
		} else if ((m = /^\s*([-*+]|\d{1,3}[.)])\s+(.*)$/.exec(line))) {
			const tag = /\d/.test(m[1]) ? "ol" : "ul";
			if (para || quote || (list && list.tag !== tag)) end();
			if (!list) list = { tag: tag, kids: [] };
			list.kids.push({ tag: "li", kids: inline(m[2]) });
		} else if ((m = /^\s*>\s?(.*)$/.exec(line))) {
			if (para || list) end();
			(quote = quote || []).push(m[1]);
		} else if (list && /^\s{2,}\S/.test(line)) {
			// A list item's continued line.
			const li = list.kids[list.kids.length - 1];
			li.kids.push(" ", ...inline(line.trim()));
		} else {
			if (list || quote) end();
			(para = para || []).push(line.trim());
		}
	}
	if (code) blocks.push({ tag: "pre", kids: [{ tag: "code",
	    kids: [code.join("\n")] }] });
	end();
	return blocks;
}

const TAGS = new Set(["p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
    "blockquote", "pre", "code", "hr", "strong", "em", "a", "span"]);

// The tree as elements of ${doc}, in a DocumentFragment.
export function toDom(tree, doc = globalThis.document) {
	const frag = doc.createDocumentFragment();
	const add = (parent, node) => {
		if (typeof node === "string") {
			parent.append(doc.createTextNode(node));
			return;
		}
		if (!TAGS.has(node.tag)) return;
		const e = doc.createElement(node.tag);
		if (node.tag === "a") {
			e.setAttribute("href", node.href);
			if (!node.href.startsWith("#/")) {
				e.setAttribute("rel", "noopener noreferrer");
				e.setAttribute("target", "_blank");
			}
		}
		for (const k of node.kids || []) add(e, k);
		parent.append(e);
	};
	for (const b of tree) add(frag, b);
	return frag;
}

export function render(text, doc = globalThis.document) {
	return toDom(parse(text), doc);
}
