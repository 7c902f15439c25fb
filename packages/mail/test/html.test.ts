import { describe, expect, it } from 'vitest';
import { absoluteActionUrl, escapeHtml, headerLine, htmlParagraphs } from '../src/html.js';

describe('absoluteActionUrl', () => {
  it('resolves paths against the product URL and keeps absolute http(s) URLs', () => {
    expect(absoluteActionUrl('/payouts/1', 'https://app.test')).toBe('https://app.test/payouts/1');
    expect(absoluteActionUrl('payouts/1', 'https://app.test/base')).toBe(
      'https://app.test/base/payouts/1',
    );
    expect(absoluteActionUrl('https://docs.test/x', 'https://app.test')).toBe(
      'https://docs.test/x',
    );
  });

  it('leaves out links an email must not carry', () => {
    expect(absoluteActionUrl('javascript:alert(1)', 'https://app.test')).toBeNull();
    expect(absoluteActionUrl('data:text/html,hi', 'https://app.test')).toBeNull();
    expect(absoluteActionUrl(null, 'https://app.test')).toBeNull();
    expect(absoluteActionUrl('', 'https://app.test')).toBeNull();
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters HTML gives meaning to', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});

describe('htmlParagraphs', () => {
  it('makes a paragraph of each block and a <br> of each single line break, escaped', () => {
    expect(htmlParagraphs('One\n<two>\n\nThree')).toBe('<p>One<br>&lt;two&gt;</p>\n<p>Three</p>');
  });
});

describe('headerLine', () => {
  it('folds every run of whitespace, line breaks included, into one space', () => {
    expect(headerLine('  Payout\r\nsent \t now ')).toBe('Payout sent now');
  });
});
