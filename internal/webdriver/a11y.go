package webdriver

// a11yScript lists the basic accessibility faults of the page that a script
// can find (WCAG 2.1: 3.1.1 language of page, 2.4.2 page titled, 1.3.1 and
// 4.1.2 labels and names of form controls, 1.1.1 text alternatives, 1.3.1
// heading levels, 4.1.1 unique ids).
const a11yScript = `
const problems = [];
const describe = (el) => {
	let s = el.tagName.toLowerCase();
	if (el.id) s += '#' + el.id;
	if (el.getAttribute('name')) s += '[name=' + el.getAttribute('name') + ']';
	return s;
};
const text = (el) => (el.textContent || '').trim();
const named = (el) => {
	if ((el.getAttribute('aria-label') || '').trim()) return true;
	const by = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
	return by.some((id) => { const r = document.getElementById(id); return r && text(r) !== ''; });
};
if (!(document.documentElement.getAttribute('lang') || '').trim()) problems.push('html has no lang attribute');
if (!document.title.trim()) problems.push('the page has no title');
for (const el of document.querySelectorAll('input, select, textarea')) {
	const type = (el.getAttribute('type') || '').toLowerCase();
	if (el.tagName === 'INPUT' && ['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
	const labelled = Array.from(el.labels || []).some((l) => text(l) !== '');
	if (!labelled && !named(el)) problems.push(describe(el) + ' has no label');
}
for (const el of document.querySelectorAll('button, input[type=submit], input[type=button], input[type=reset]')) {
	const name = el.tagName === 'BUTTON' ? text(el) : (el.getAttribute('value') || '').trim();
	if (!name && !named(el)) problems.push(describe(el) + ' has no accessible name');
}
for (const el of document.querySelectorAll('img, input[type=image]')) {
	if (!el.hasAttribute('alt')) problems.push(describe(el) + ' has no alt attribute');
}
let last = 0;
for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
	const level = Number(h.tagName.substring(1));
	if (level > last + 1) problems.push('heading ' + h.tagName.toLowerCase() + ' "' + text(h) + '" skips a level (after ' + (last ? 'h' + last : 'no heading') + ')');
	last = level;
}
const seen = new Set();
for (const el of document.querySelectorAll('[id]')) {
	if (seen.has(el.id)) problems.push('id "' + el.id + '" is used more than once');
	seen.add(el.id);
}
return problems;
`

// CheckA11y returns the basic accessibility faults of the current page, one
// sentence each (none: an empty slice): html without lang, no title, a form
// control without a label or accessible name, an image without alt, a
// heading that skips a level, an id used twice. It is no substitute for a
// full WCAG audit; it catches the faults a template change most often
// brings.
func (b *Browser) CheckA11y() []string {
	b.tb.Helper()
	problems := []string{}
	b.Execute(a11yScript, &problems)
	return problems
}
