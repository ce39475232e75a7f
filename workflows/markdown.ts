/**
 * Text that reaches an operator: free text from signals made printable and bounded, and anything the Web UI renders
 * as Markdown (the static summary and details the client sets, the current details the workflow sets) escaped, so
 * that an order number, a note or a peer's error text cannot become a link, an image, HTML, emphasis or a table
 * cell. Pure and deterministic (the client and the workflow share it).
 */

/**
 * Characters that carry no printable text and can hide or reorder what an operator reads: C0 and C1 controls (line
 * breaks included), DEL, zero-width spaces and marks, line and paragraph separators, bidirectional embeddings,
 * overrides and isolates, invisible operators, the byte-order mark. U+200D (zero-width joiner) stays: emoji use it.
 */
const INVISIBLE_RE =
  /[\u0000-\u001f\u007f-\u009f\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Free text (a note, a reason) as it is kept and shown: invisible and control characters replaced by spaces, runs of
 * whitespace collapsed to one space, trimmed, and cut to at most `max` characters (code points: a cut never splits
 * a surrogate pair).
 */
export function printableText(text: string, max: number): string {
  const cleaned = text.replace(INVISIBLE_RE, ' ').replace(/\s+/g, ' ').trim();
  const points = Array.from(cleaned);
  return points.length > max ? points.slice(0, max).join('').trimEnd() : cleaned;
}

/**
 * The ASCII punctuation that starts inline Markdown (CommonMark and GFM) in the middle of a line: backslash, code
 * span, emphasis, link and image brackets, autolinks and raw HTML, entities, table cells, strikethrough. Escaped,
 * each renders as itself. (`!` and `(`/`)` need no escape once brackets are escaped.)
 */
const MARKDOWN_SPECIAL_RE = /[\\`*_[\]<>|~&]/g;

/** U+2060 WORD JOINER: invisible, joins what it separates, and breaks a pattern that wants two characters adjacent. */
const JOINER = '\u2060';
/**
 * Where GFM's literal autolinks start (the Web UI renders GFM, which links bare URLs, `www.` names and e-mail
 * addresses even after escaping, as it finds them in the text): `scheme://`, `www.`, and an `@` before a dotted
 * domain.
 */
const AUTOLINK_RE = /:(?=\/\/)|\bwww(?=\.)|@(?=[-\w]+(?:\.[-\w]+)+)/gi;

/**
 * One line of text for a Markdown document, rendering exactly as the text reads and never as markup: line breaks and
 * other invisible characters become spaces (no block structure can start), Markdown punctuation is
 * backslash-escaped, and bare URLs, `www.` names and e-mail addresses get an invisible word joiner (after `:` of
 * `://`, after `www`, after `@`) so that no renderer's literal-autolink rule turns them into links.
 */
export function escapeMarkdown(text: string): string {
  // Joiners before escapes: the autolink patterns are matched on the text as written (e.g. `_` in a domain).
  return text
    .replace(INVISIBLE_RE, ' ')
    .replace(AUTOLINK_RE, (match) => `${match}${JOINER}`)
    .replace(MARKDOWN_SPECIAL_RE, '\\$&');
}

/**
 * Text as an inline code span (rendered verbatim, monospace): the fence is longer than any run of backticks in the
 * text, and invisible characters become spaces. Not for table cells (a `|` would still split a GFM cell): use
 * {@link escapeMarkdown} there.
 */
export function inlineCode(text: string): string {
  const clean = text.replace(INVISIBLE_RE, ' ');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}
