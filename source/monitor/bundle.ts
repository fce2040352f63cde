import type { ApplianceTunnelDesign, AwsVpnDesign } from '../design/model.js';
import type { Finding, StatusSnapshot } from '../router/model.js';
import type { MonitorEvent } from './events.js';

/**
 * A troubleshooting bundle: everything the monitor saw, as one JSON document a user can attach to a
 * support request — with every secret removed first. Secrets go by value (the PSKs and keys the
 * caller knows) and by shape (PEM private keys, `crypto isakmp key …`, `pre-shared-key …`,
 * `secret = …`, …), in every string and every object key, raw router output included.
 */

export const redacted = '[REDACTED]';

export type BundleInput = {
	/** Snapshots, e.g. the last one per router (or a short series). */
	snapshots: readonly StatusSnapshot[];
	events: readonly MonitorEvent[];
	/** Raw outputs per router name, per command. */
	raw: Readonly<Record<string, Readonly<Record<string, string>>>>;
	findings: readonly Finding[];
	design?: ApplianceTunnelDesign | AwsVpnDesign;
	/** Known secret values (PSKs, passwords): removed wherever they appear. */
	secrets: readonly string[];
	/** Defaults to now. */
	createdAt?: Date;
	/** kakehashi's version, for whoever reads the bundle. */
	version?: string;
};

/** Fields whose value is a secret whatever it looks like. */
const secretField =
	/^(psk|pre[-_]?shared[-_]?key|preSharedKey|secret|secrets|password|passphrase|private[-_]?key|privateKeyPem|secretAccessKey|sessionToken|authKey)$/i;

/** Words between `pre-shared-key` and the key itself, kept so the line still reads. */
const keyPrefixWords = new Set([
	'local',
	'remote',
	'ascii-text',
	'hexadecimal',
	'hex',
	'text',
	'key',
	'unencrypted',
]);

type Pattern = { pattern: RegExp; replace: (...groups: string[]) => string };

const patterns: Pattern[] = [
	// PEM private keys (PKCS#1/#8, EC, OpenSSH, encrypted, PGP blocks), and a block cut short by truncated output
	{
		pattern: /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY[A-Z ]*)-----[\s\S]*?-----END \1-----/g,
		replace: (_whole, label = '') => `-----BEGIN ${label}-----\n${redacted}\n-----END ${label}-----`,
	},
	{
		pattern: /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY[A-Z ]*)-----(?![\s\S]*?-----END \1-----)[\s\S]*$/g,
		replace: (_whole, label = '') => `-----BEGIN ${label}-----\n${redacted}`,
	},
	// AW+ / Cisco: crypto isakmp key [0|6|7] <key> address|hostname …
	{
		pattern:
			/(crypto[ \t]+isakmp[ \t]+key[ \t]+)(?:(\d)[ \t]+(?=\S+[ \t]+(?:address|hostname)\b))?("[^"\r\n]*"|\S+)/gi,
		replace: (_whole, lead = '', type) => `${lead}${type ? `${type} ` : ''}${redacted}`,
	},
	// Cisco keyrings and IKEv2, Juniper, Yamaha, NEC: pre-shared-key / preshared-key … <key>
	{
		pattern: /(pre-?shared-?key)([^\r\n]*)/gi,
		replace: (_whole, keyword = '', rest = '') => `${keyword}${redactAfterKeywords(rest)}`,
	},
	// NEC IX: ike … peer <addr> key <key>; Cisco ISAKMP profiles: key <key>
	{ pattern: /(\bpeer[ \t]+\S+[ \t]+key[ \t]+)(\S+)/gi, replace: (_w, lead = '') => `${lead}${redacted}` },
	// strongSwan ipsec.secrets: … : PSK "key"
	{
		pattern: /(:[ \t]*(?:PSK|EAP|XAUTH|RSA|ECDSA)[ \t]+)("[^"\r\n]*"|'[^'\r\n]*'|\S+)/g,
		replace: (_w, lead = '') => `${lead}${redacted}`,
	},
	// swanctl.conf / FRR / generic: secret = …, password: …
	{
		pattern: /(\b(?:secret|password|passphrase|psk)[ \t]*[=:][ \t]*)("[^"\r\n]*"|'[^'\r\n]*'|[^\s,;}]+)/gi,
		replace: (_w, lead = '') => `${lead}${redacted}`,
	},
	// Cisco/FRR: enable secret 5 …, username x password 7 …, neighbor x password …
	{
		pattern: /(\b(?:secret|password)[ \t]+)(?:(\d)[ \t]+(?=\S))?((?!\[REDACTED\])[^\s=:][^\s]*)/gi,
		replace: (_w, lead = '', type) => `${lead}${type ? `${type} ` : ''}${redacted}`,
	},
	// AWS's downloadable VPN configuration (XML)
	{
		pattern: /(<pre_shared_key>)[\s\S]*?(<\/pre_shared_key>)/gi,
		replace: (_w, a = '', b = '') => `${a}${redacted}${b}`,
	},
];

/** `address 1.2.3.4 key 0 SECRET` → keeps the words and the address, redacts from the key on. */
function redactAfterKeywords(rest: string): string {
	const tokens = rest.split(/([ \t]+)/);
	let index = 0;
	const kept: string[] = [];
	while (index < tokens.length) {
		const token = tokens[index] ?? '';
		const word = token.toLowerCase();
		const remaining = tokens.slice(index + 1).some((later) => later.trim() !== '');
		if (token.trim() === '' || keyPrefixWords.has(word)) {
			kept.push(token);
			index++;
		} else if ((word === 'address' || word === 'hostname' || word === 'id') && remaining) {
			kept.push(token, tokens[index + 1] ?? '', tokens[index + 2] ?? '');
			index += 3;
		} else if (/^\d$/.test(word) && remaining) {
			kept.push(token);
			index++;
		} else {
			return `${kept.join('')}${redacted}`;
		}
	}
	return kept.join('');
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Remove known secret values and anything shaped like a secret from one piece of text. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
	let result = text;
	const values = [
		...new Set(secrets.filter((secret) => typeof secret === 'string' && secret.length >= 4)),
	].sort((a, b) => b.length - a.length);
	for (const secret of values) result = result.replace(new RegExp(escapeRegExp(secret), 'g'), redacted);
	for (const { pattern, replace } of patterns) {
		// replacer arguments: the match, the groups, then offset and the whole string
		result = result.replace(pattern, (...args: unknown[]) =>
			replace(...args.slice(0, -2).map((group) => (typeof group === 'string' ? group : ''))),
		);
	}
	return result;
}

/** A deep copy with every string (keys included) redacted and every secret-named field blanked. */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
	if (typeof value === 'string') return redactSecrets(value, secrets);
	if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets));
	if (value instanceof Date) return value.toISOString();
	if (value && typeof value === 'object') {
		const copy: Record<string, unknown> = {};
		for (const [key, field] of Object.entries(value)) {
			const name = redactSecrets(key, secrets);
			const plainObject = field !== null && typeof field === 'object' && !Array.isArray(field);
			copy[name] =
				secretField.test(key) && field !== undefined && field !== null && !plainObject
					? redacted
					: redactValue(field, secrets);
		}
		return copy;
	}
	return value;
}

export function buildTroubleshootingBundle(input: BundleInput): string {
	const bundle = {
		kind: 'kakehashi-troubleshooting-bundle',
		formatVersion: 1,
		createdAt: (input.createdAt ?? new Date()).toISOString(),
		...(input.version !== undefined ? { kakehashiVersion: input.version } : {}),
		findings: input.findings,
		events: input.events,
		snapshots: input.snapshots,
		raw: input.raw,
		...(input.design !== undefined ? { design: input.design } : {}),
	};
	return `${JSON.stringify(redactValue(bundle, input.secrets), null, 2)}\n`;
}
