import { describe, expect, it } from 'vitest';
import { compileMatcher, re2Source } from '#domain/label-matchers';

describe('RE2 inline flags in label matchers', () => {
  it('turns (?i) and (?i:…) into case alternatives JavaScript understands', () => {
    expect(re2Source('(?i)foo')).toBe('[fF][oO][oO]');
    expect(re2Source('a(?i:b[c-d])e')).toBe('a(?:[bB][c-dC-D])e');
    expect(re2Source('((?i)x)y')).toBe('([xX])y');
    expect(re2Source('x\\(?i')).toBe('x\\(?i');
    expect(re2Source('plain.*')).toBe('plain.*');
  });

  it('matches as Prometheus does: only the flagged part ignores case', () => {
    const match = (value: string, text: string) => compileMatcher({ name: 'l', op: '=~', value })(text);
    expect(match('(?i)production', 'PRODUCTION')).toBe(true);
    expect(match('.*(?i:DUC).*', 'production')).toBe(true);
    expect(match('a(?i:b)c', 'aBc')).toBe(true);
    expect(match('a(?i:b)c', 'aBC')).toBe(false);
    expect(match('(?s)a.b', 'a\nb')).toBe(true);
  });
});
