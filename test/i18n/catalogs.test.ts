import { describe, expect, it } from 'vitest';
import { en } from '../../source/i18n/en.js';
import { detectLang, format } from '../../source/i18n/index.js';
import { ja } from '../../source/i18n/ja.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('message catalogs', () => {
	it('ja has every en key, with the same placeholders, and none left empty', () => {
		expect(Object.keys(ja).sort()).toEqual(Object.keys(en).sort());
		for (const key of Object.keys(en) as (keyof typeof en)[]) {
			expect(ja[key].trim(), key).not.toBe('');
			expect(placeholders(ja[key]), key).toEqual(placeholders(en[key]));
		}
	});

	it('ja text is Japanese where the English is a sentence', () => {
		const untranslated = (Object.keys(en) as (keyof typeof en)[]).filter(
			(key) =>
				en[key]
					.replace(/\{\w+\}/g, '')
					.split(/\s+/)
					.filter((word) => /^[A-Za-z]{3,}[.,:;]?$/.test(word)).length >= 3 && ja[key] === en[key],
		);
		expect(untranslated).toEqual([]);
	});

	it.each([
		[undefined, {}, 'en'],
		[undefined, { LANG: 'ja_JP.UTF-8' }, 'ja'],
		[undefined, { LANG: 'en_US.UTF-8', LC_ALL: 'ja_JP.UTF-8' }, 'ja'],
		['en', { LANG: 'ja_JP.UTF-8' }, 'en'],
		['ja', {}, 'ja'],
		[undefined, { LANG: 'C' }, 'en'],
	])('detectLang(%s, %j) = %s', (flag, env, expected) => {
		expect(detectLang(flag, env)).toBe(expected);
	});

	it('format fills placeholders and leaves unknown ones visible', () => {
		expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
	});
});
