import { en } from './en.js';
import { ja } from './ja.js';

export type Lang = 'en' | 'ja';
export type MessageKey = keyof typeof en;
export type MessageVars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: MessageVars) => string;

const catalogs: Record<Lang, Record<MessageKey, string>> = { en, ja };

/** `--lang` wins; otherwise LC_ALL, LC_MESSAGES, LANG in that order, as gettext does. */
export function detectLang(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
	if (flag === 'ja' || flag === 'en') return flag;
	for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
		const value = env[name];
		if (value) return value.toLowerCase().startsWith('ja') ? 'ja' : 'en';
	}
	return 'en';
}

export function isLang(value: unknown): value is Lang {
	return value === 'en' || value === 'ja';
}

export function format(template: string, vars: MessageVars = {}): string {
	return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export function createTranslator(lang: Lang): Translate {
	const catalog = catalogs[lang];
	return (key, vars) => format(catalog[key] ?? en[key] ?? key, vars);
}
