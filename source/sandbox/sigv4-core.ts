import { createHash, createHmac } from 'node:crypto';

/**
 * The parts of AWS Signature Version 4 that every sandbox service computes the same way (IAM user
 * guide, "Create a signed AWS API request"): header canonicalisation, the canonical query string, URI
 * encoding, the HMAC key chain and the request date. What differs per service (canonical URI, payload
 * hash, error codes) stays in the service's own sigv4 module.
 */

export const ALGORITHM = 'AWS4-HMAC-SHA256';

/** Lower-cased names; repeated headers joined with commas; values trimmed, inner runs of spaces folded. */
export function canonicalHeaderMap(rawHeaders: readonly string[]): Map<string, string> {
	const map = new Map<string, string>();
	for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
		const name = (rawHeaders[index] as string).toLowerCase();
		const value = (rawHeaders[index + 1] as string).trim().replace(/\s+/g, ' ');
		const previous = map.get(name);
		map.set(name, previous === undefined ? value : `${previous},${value}`);
	}
	return map;
}

/** The raw query string (after `?`) with each name and value re-encoded, sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
	if (rawQuery === '') {
		return '';
	}
	return rawQuery
		.split('&')
		.filter((pair) => pair !== '')
		.map((pair) => {
			const equals = pair.indexOf('=');
			const key = equals === -1 ? pair : pair.slice(0, equals);
			const value = equals === -1 ? '' : pair.slice(equals + 1);
			return [uriEncode(safeDecode(key)), uriEncode(safeDecode(value))] as const;
		})
		.sort(([keyA, valueA], [keyB, valueB]) =>
			keyA < keyB ? -1 : keyA > keyB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
		)
		.map(([key, value]) => `${key}=${value}`)
		.join('&');
}

/** RFC 3986 unreserved characters stay; everything else is percent-encoded in upper-case hex. */
export function uriEncode(text: string): string {
	return encodeURIComponent(text).replace(
		/[!'()*]/g,
		(char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
	);
}

export function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
	const kDate = createHmac('sha256', `AWS4${secret}`).update(date, 'utf8').digest();
	const kRegion = createHmac('sha256', kDate).update(region, 'utf8').digest();
	const kService = createHmac('sha256', kRegion).update(service, 'utf8').digest();
	return createHmac('sha256', kService).update('aws4_request', 'utf8').digest();
}

export function sha256Hex(text: string): string {
	return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `20261123T131931Z` → epoch ms. */
export function parseAmzDate(amzDate: string): number | undefined {
	const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
	if (!match) {
		return undefined;
	}
	const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
	return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}

/** An HTTP `Date` header in the `X-Amz-Date` form, for requests that sign `date` instead. */
export function dateHeaderAsAmzDate(date: string | undefined): string | undefined {
	if (date === undefined) {
		return undefined;
	}
	const parsed = Date.parse(date);
	return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString().replace(/[-:]|\.\d{3}/g, '');
}
