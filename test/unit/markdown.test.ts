/** Operator text helpers (issue 11, item 4): printable and bounded notes, Markdown that renders as written. */
import { escapeMarkdown, inlineCode, printableText } from '../../workflows/markdown';
import { orderDetails, orderSummary } from '../../client';
import { validateOrderInput } from '../../workflows/validation';
import { NOW, valid } from '../harness/malformed';

/** Whether `markdown` has `char` anywhere without a backslash before it. */
const unescaped = (markdown: string, char: string): boolean =>
  markdown
    .split(char)
    .slice(0, -1)
    .some((before) => !before.endsWith('\\'));

describe('printableText', () => {
  it('replaces controls, line breaks and invisible or reordering characters by spaces, collapsed and trimmed', () => {
    expect(printableText('\u0000 a\r\n\tb\u0007c\u007f\u0085d\u200be\u202Ef\u2066g\u2028h\ufeff ', 100)).toBe(
      'a b c d e f g h',
    );
  });

  it('bounds by characters (code points), never splitting a surrogate pair', () => {
    expect(printableText('x'.repeat(1_500), 1_000)).toHaveLength(1_000);
    const emoji = '😀'.repeat(5);
    expect(printableText(emoji, 3)).toBe('😀😀😀');
    expect(printableText('👩‍👩‍👧 ok', 100)).toBe('👩‍👩‍👧 ok');
  });

  it('leaves nothing of a note that had nothing printable', () => {
    expect(printableText('\u0000\u200b\u202e \n', 1_000)).toBe('');
  });
});

describe('escapeMarkdown', () => {
  it('escapes every character that starts inline Markdown, so each renders as itself', () => {
    const text = 'a\\b `c` *d* _e_ [f](g) <h> |i| ~~j~~ &amp;';
    const escaped = escapeMarkdown(text);
    expect(escaped).toBe('a\\\\b \\`c\\` \\*d\\* \\_e\\_ \\[f\\](g) \\<h\\> \\|i\\| \\~\\~j\\~\\~ \\&amp;');
    for (const char of ['`', '*', '_', '[', ']', '<', '>', '|', '~', '&']) {
      expect({ char, unescaped: unescaped(escaped, char) }).toEqual({ char, unescaped: false });
    }
  });

  it('keeps everything on one line: no heading, list, quote or table row can start', () => {
    expect(escapeMarkdown('ok\n# h\n- l\n> q\n| t |')).toBe('ok # h - l \\> q \\| t \\|');
  });

  it('defuses literal autolinks (GFM links bare URLs, www. names and e-mail addresses) with an invisible joiner', () => {
    const escaped = escapeMarkdown('see http://e.vil, HTTPS://e.vil/x, www.e.vil and ops@e_vil.example');
    expect(escaped).not.toMatch(/https?:\/\//i);
    expect(escaped).not.toMatch(/\bwww\./i);
    expect(escaped).not.toMatch(/@[-\w\\]+\./);
    // Invisible: the text reads as written.
    expect(escaped.replace(/\u2060/g, '').replace(/\\(.)/g, '$1')).toBe(
      'see http://e.vil, HTTPS://e.vil/x, www.e.vil and ops@e_vil.example',
    );
    // An order number's `@` (no dotted domain after it) is left alone: it can be copied as it is.
    expect(escapeMarkdown('P1|2*A@b-c_d')).toBe('P1\\|2\\*A@b-c\\_d');
  });
});

describe('inlineCode', () => {
  it('fences with more backticks than the text holds', () => {
    expect(inlineCode('P1')).toBe('`P1`');
    expect(inlineCode('a`b')).toBe('``a`b``');
    expect(inlineCode('`a``')).toBe('``` `a`` ```');
  });
});

describe('what the client gives the Web UI', () => {
  const spec = () => {
    const r = validateOrderInput(
      {
        ...valid(),
        subOrders: [
          { mchid: '1900000109', outTradeNo: 'S|1*_x_*', subMchid: '1900000001', subAppid: 'wx_1' },
          { mchid: '1900000109', outTradeNo: 'S@2', subMchid: '1900000002' },
        ],
      },
      NOW,
    );
    if (!r.ok) throw new Error('valid input refused');
    return r.spec;
  };

  it('the details: ids in code spans, every table row of exactly four cells, nothing unescaped', () => {
    const details = orderDetails(spec(), new Date(NOW));
    expect(details.split('\n')[0]).toBe('**Combined order** `P20261127|0001*A@b-c_d` (appid `wxd678efh567hg6787`)');
    const rows = details.split('\n').filter((l) => l.startsWith('| S'));
    expect(rows).toEqual([
      '| S\\|1\\*\\_x\\_\\* | 1900000109 | 1900000001 | wx\\_1 |',
      '| S@2 | 1900000109 | 1900000002 |  |',
    ]);
    for (const row of rows) expect(row.split(/(?<!\\)\|/)).toHaveLength(6);
  });

  it('the summary: the order number escaped', () => {
    expect(orderSummary(spec(), new Date(NOW))).toBe(
      'Combined order P20261127\\|0001\\*A@b-c\\_d: 2 sub-order(s), reverse at 2026-11-27T08:00:00.000Z unless paid',
    );
  });
});
