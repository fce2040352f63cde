/**
 * Normalisers for the values routers print, into the forms of docs/contract.md ("Status snapshot"):
 * integers, seconds, lower-case `0x` SPIs, IANA DH group numbers, `aes256` / `sha1` algorithm names.
 * Each returns `undefined` for text it does not understand, so the caller leaves the field absent.
 * Vendor-specific spellings that need context (Cisco's `esp-256-aes`, Yamaha's `AES-CBC` = 128 bits)
 * are translated in the vendor's folder before reaching these.
 */
import { isIP } from 'node:net';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const DIGITS = /^\d{1,15}$/;
const PLAIN_SECONDS = /^(\d{1,12})\s*(?:s|sec|secs|seconds?)?$/;
const CLOCK_DURATION = /^(?:(\d{1,6})\s*(?:days?|d)?\s+)?(?:(\d{1,6}):)?(\d{1,2}):(\d{2})$/;
const UNIT_DURATION = /^(?:\d{1,6}[ywdhms])+$/;
const SPI_HEX = /^(?:0x)?([0-9a-f]{1,8})$/i;
const HEX_BYTE = /^[0-9a-f]{2}$/i;
const ZERO_HEX = /^(?:0x)?0+$/i;
const COOKIE_HEX = /^(?:0x)?[0-9a-f]{1,16}$/i;
const ADDRESS_AND_PORT = /^\[?([0-9a-f:.]+?)\]?(?::|\[)(\d{1,5})\]?$/i;
const UNKNOWN_ALGORITHM = /^(?:unknown|none|n\/?a)/;
const ALGORITHM_WORD = /^[a-z0-9]{2,32}$/;
const SHA1_WORD = /^sha(?:1)?(?:96)?$/;
const SHA2_WORD = /^sha2?(256|384|512)(?:128|192|256)?$/;
const MD5_WORD = /^md5(?:96)?$/;
const AESXCBC_WORD = /^aesxcbc(?:96)?$/;
const AESCMAC_WORD = /^aescmac(?:96)?$/;
const DH_GROUP_NUMBER = /^(?:group|dh|dhgroup)?(\d{1,2})$/;
const IKE_VERSION = /^(?:ike)?v?([12])$/i;
const YES_WORDS = /^(?:yes|y|true|on|enabled?|detected|used|active)\b/;
const NO_WORDS = /^(?:no|n|false|off|disabled?|not\b|none|unused)/;

/** `record[key]` for the record's own keys only: `__proto__` or `constructor` in router output stay unknown. */
export function ownValue<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
	return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function parseInteger(text: string | undefined): number | undefined {
	if (text === undefined || !DIGITS.test(text)) return undefined;
	const value = Number(text);
	return Number.isSafeInteger(value) ? value : undefined;
}

const UNIT_ORDER = 'ywdhms';
const UNIT_SECONDS: Record<string, number> = {
	y: 365 * 86_400,
	w: 7 * 86_400,
	d: 86_400,
	h: 3600,
	m: 60,
	s: 1,
};

/**
 * `28642s`, `28642`, `00:11:33`, `1:22`, `1d02h`, `03w6d21h`, `1y10w`, `7h57m22s`, `0 days 03:12:44`
 * → seconds; `never`, `-` and anything else → undefined.
 */
export function parseDuration(text: string | undefined): number | undefined {
	if (text === undefined) return undefined;
	const compact = text.trim().toLowerCase().replace(/\s+/g, ' ');
	if (compact === '') return undefined;
	const plain = PLAIN_SECONDS.exec(compact);
	if (plain) return parseInteger(plain[1]);
	const clock = CLOCK_DURATION.exec(compact);
	if (clock) {
		const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = clock;
		const total = Number(days) * 86_400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
		return Number.isSafeInteger(total) ? total : undefined;
	}
	const units = compact.includes(' ') ? compact.replace(/ /g, '') : compact;
	if (!UNIT_DURATION.test(units)) return undefined;
	// Checked above: one to six digits before each unit letter. Read in one pass (no match objects).
	let total = 0;
	let lastRank = -1;
	let amount = 0;
	for (let index = 0; index < units.length; index += 1) {
		const code = units.charCodeAt(index);
		if (code >= 48 && code <= 57) {
			amount = amount * 10 + (code - 48);
			continue;
		}
		const unit = units.charAt(index);
		const rank = UNIT_ORDER.indexOf(unit);
		if (rank <= lastRank) return undefined;
		lastRank = rank;
		total += amount * (UNIT_SECONDS[unit] ?? 0);
		amount = 0;
	}
	return Number.isSafeInteger(total) ? total : undefined;
}

/** `c1d2e3f4`, `0xC1D2E3F4` → `0xc1d2e3f4`. AW+, Junos and strongSwan print SPIs as bare hex. */
export function normaliseSpi(text: string | undefined): string | undefined {
	if (text === undefined) return undefined;
	const match = SPI_HEX.exec(text);
	return match ? `0x${match[1]!.toLowerCase()}` : undefined;
}

/** Yamaha's `a6 67 47 47` (hex bytes separated by spaces) → `0xa6674747`; only 4-byte (ESP) SPIs. */
export function spiFromHexBytes(text: string | undefined): string | undefined {
	if (text === undefined) return undefined;
	const bytes = text.trim().split(/\s+/);
	if (bytes.length !== 4 || !bytes.every((byte) => HEX_BYTE.test(byte))) return undefined;
	return normaliseSpi(bytes.join('').replace(/^0+(?=.)/, ''));
}

/**
 * Algorithm names repeat on every line of a big output (`esp-256-aes`, `AES_CBC-128`): the normalisers
 * below remember their answers. Bounded, so that arbitrary input cannot grow it without limit.
 */
export function memoised<T>(read: (text: string) => T): (text: string | undefined) => T | undefined {
	const answers = new Map<string, T>();
	return (text) => {
		if (text === undefined) return undefined;
		const known = answers.get(text);
		if (known !== undefined || answers.has(text)) return known;
		const answer = read(text);
		if (answers.size >= 512) answers.clear();
		answers.set(text, answer);
		return answer;
	};
}

export function isZeroHex(text: string): boolean {
	return ZERO_HEX.test(text);
}

/** A 64-bit ISAKMP cookie / IKEv2 SPI as printed: up to 16 hex digits, optional `0x`. */
export function isCookie(text: string): boolean {
	return COOKIE_HEX.test(text);
}

export function isIpAddress(text: string): boolean {
	return isIP(text) !== 0;
}

/** `192.0.2.1`, `192.0.2.1:4500`, `192.0.2.1[4500]`, `[2001:db8::1]:4500`, `2001:db8::1` → address and port. */
export function splitAddressPort(text: string): { address: string; port?: number } | undefined {
	if (isIpAddress(text)) return { address: text };
	const match = ADDRESS_AND_PORT.exec(text);
	if (!match || !isIpAddress(match[1]!)) return undefined;
	const port = parseInteger(match[2]);
	return port !== undefined && port <= 65_535 ? { address: match[1]!, port } : undefined;
}

const KNOWN_ENCRYPTION = /^(?:esp)?(3des|des|aes(?:128|192|256)(?:gcm(?:8|12|16)?)?|chacha20poly1305|null)$/;

/** `AES256`, `aes-cbc-256`, `AES-GCM-128`, `3DES` → `aes256`, `aes256`, `aes128gcm16`, `3des`. */
export const normaliseEncryption = memoised(readEncryption);
function readEncryption(text: string): string | undefined {
	let compact = text.toLowerCase().replace(/[-_\s/]/g, '');
	if (compact === '' || UNKNOWN_ALGORITHM.test(compact)) return undefined;
	compact = compact.replace(/^(?:esp)?aescbc(\d+)$/, 'aes$1');
	compact = compact.replace(
		/^(?:esp)?aesgcm(?:(8|12|16)?)(128|192|256)$/,
		(_all, icv, bits) => `aes${bits}gcm${icv ?? '16'}`,
	);
	compact = compact.replace(/^(?:esp)?aes(128|192|256)gcm$/, 'aes$1gcm16');
	compact = compact.replace(/^(?:tripledes|des3|3descbc)$/, '3des');
	const known = KNOWN_ENCRYPTION.exec(compact);
	if (known) return known[1];
	return ALGORITHM_WORD.test(compact) ? compact : undefined;
}

/** `SHA256`, `hmac-sha1`, `SHA2-256`, `sha1_96`, `MD5` → `sha256`, `sha1`, `sha256`, `sha1`, `md5`. */
export const normaliseIntegrity = memoised(readIntegrity);
function readIntegrity(text: string): string | undefined {
	const compact = text
		.toLowerCase()
		.replace(/[-_\s]/g, '')
		.replace(/^(?:esp|hmac)+/, '');
	if (compact === '' || UNKNOWN_ALGORITHM.test(compact)) return undefined;
	if (SHA1_WORD.test(compact)) return 'sha1';
	const sha2 = SHA2_WORD.exec(compact);
	if (sha2) return `sha${sha2[1]}`;
	if (MD5_WORD.test(compact)) return 'md5';
	if (AESXCBC_WORD.test(compact)) return 'aesxcbc';
	if (AESCMAC_WORD.test(compact)) return 'aescmac';
	return ALGORITHM_WORD.test(compact) ? compact : undefined;
}

const MODP_GROUPS: Record<string, number> = {
	modp768: 1,
	modp1024: 2,
	modp1536: 5,
	modp2048: 14,
	modp3072: 15,
	modp4096: 16,
	modp6144: 17,
	modp8192: 18,
	ecp256: 19,
	ecp384: 20,
	ecp521: 21,
	modp1024160: 22,
	modp2048224: 23,
	modp2048256: 24,
	ecp192: 25,
	ecp224: 26,
	ecp224bp: 27,
	ecp256bp: 28,
	ecp384bp: 29,
	ecp512bp: 30,
	curve25519: 31,
	x25519: 31,
	curve448: 32,
	x448: 32,
	'768bit': 1,
	'1024bit': 2,
	'1536bit': 5,
	'2048bit': 14,
	'3072bit': 15,
	'4096bit': 16,
};

/** `14`, `group14`, `DH14`, `modp2048`, `MODP_2048`, `2048-bit`, `CURVE_25519` → 14, …, 31. */
export const dhGroupNumber = memoised(readDhGroup);
function readDhGroup(text: string): number | undefined {
	const compact = text
		.toLowerCase()
		.replace(/[-_\s]/g, '')
		.replace(/^(modp\d+)bits?$/, '$1');
	const named = ownValue(MODP_GROUPS, compact);
	if (named !== undefined) return named;
	const numbered = DH_GROUP_NUMBER.exec(compact);
	const group = numbered ? parseInteger(numbered[1]) : undefined;
	return group === undefined || group === 0 ? undefined : group;
}

/** `1`, `2`, `v2`, `IKEv1`, `ikev2` → 1 | 2. */
export function ikeVersion(text: string | undefined): 1 | 2 | undefined {
	const match = text === undefined ? null : IKE_VERSION.exec(text.trim());
	if (!match) return undefined;
	return match[1] === '1' ? 1 : 2;
}

/** `Yes`, `enabled`, `detected`, `true` → true; `No`, `disabled`, `not detected`, `false` → false. */
export function yesNo(text: string | undefined): boolean | undefined {
	if (text === undefined) return undefined;
	const compact = text.trim().toLowerCase();
	if (YES_WORDS.test(compact)) return true;
	if (NO_WORDS.test(compact)) return false;
	return undefined;
}
