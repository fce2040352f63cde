/**
 * `show ipsec sa` on NEC UNIVERGE IX → `ipsec`.
 *
 * Layout (CONBU "IX 設定" notes via shared/fixtures/samples/nec_ix; NOTES.md):
 *   `IPsec SA - 1 configured, 3 created` / `Interface is Tunnel0.0` / `  Key policy map name is ipsec-mgmt`
 *   `    [UDP encapsulation ]Tunnel mode, 4-over-4, autokey-map`
 *   `    Local address is A, port is P` / `    Remote address is A, port is P` / MTU lines
 *   `    Inbound:` and `    Outbound:` lists of `ESP, SPI is 0xhex(dec)` + `Transform is …` +
 *   `Remaining lifetime is N seconds` (several SPIs while a rekey overlaps), `Replay detection …`,
 *   `Perfect forward secrecy is 2048-bit`.
 * IX prints no traffic counters here (they are in `show interfaces TunnelX.Y`).
 */
import type { IpsecSa, ParseResult } from '../../model.js';
import { visibleLineReader } from '../shared/clean-output.js';
import { isIpAddress, normaliseSpi, parseInteger } from '../shared/field-values.js';
import { knownLines } from '../shared/known-lines.js';
import { type DirectionalSa, pairSas } from '../shared/sa-pairs.js';
import { necTransformOf } from './transform.js';

// Hoisted: a regular expression literal makes a new RegExp object every time it is evaluated.
const IPSEC_SA_CONFIGURED = /^IPsec SA - \d+ configured, \d+ created$/i;
const INTERFACE_IS = /^Interface is (\S+)$/i;
const KEY_POLICY_MAP = /^Key policy map name is\b/i;
const REMOTE_ADDRESS_IS = /^Remote address is (\S+), port is \d{1,5}$/i;
const INBOUND_OUTBOUND = /^(?:Inbound|Outbound):$/i;
const INBOUND_WORD = /^in/i;
const SPI_LINE = /^(ESP|AH), SPI is (0x[0-9a-f]{1,8})(?:\(\d+\))?$/i;
const TRANSFORM_IS = /^Transform is (\S+)$/i;
const REMAINING_SECONDS = /^Remaining lifetime is (\d+) seconds$/i;
const REMAINING_VOLUME = /^Remaining lifetime is \d+ (?:k?bytes|kilobytes)$/i;

const isKnownLine = knownLines([
	/^(?:UDP encapsulation )?(?:Tunnel|Transport) mode\b/i,
	/^Outgoing interface is\b/i,
	/^Interface MTU is\b/i,
	/^Replay detection support is\b/i,
	/^Perfect forward secrecy is\b/i,
	/^Local address is\b/i,
	/^Anti-replay\b/i,
]);

type Policy = {
	tunnel?: string;
	peer?: string;
	inbound: DirectionalSa[];
	outbound: DirectionalSa[];
	lines: string[];
};

export function parseIpsecSa(output: string): ParseResult {
	const lines = visibleLineReader(output);
	const ipsec: IpsecSa[] = [];
	const unparsed: string[] = [];
	let tunnel: string | undefined;
	let policy: Policy | undefined;
	let direction: 'in' | 'out' | undefined;
	let sa: DirectionalSa | undefined;

	const close = () => {
		if (!policy) return;
		if (policy.peer === undefined) unparsed.push(...policy.lines);
		else
			for (const sa of pairSas({ peer: policy.peer, tunnel: policy.tunnel }, policy.inbound, policy.outbound))
				ipsec.push(sa);
		policy = undefined;
		direction = undefined;
		sa = undefined;
	};

	for (let line = lines.nextLine(); line !== undefined; line = lines.nextLine()) {
		const trimmed = line.trim();
		if (trimmed === '') continue;
		// The first letter (lower-cased) picks the few patterns that can apply: IX prints ~18 lines a tunnel.
		const first = trimmed.charCodeAt(0) | 32;
		if (first === 105 && IPSEC_SA_CONFIGURED.test(trimmed)) {
			close();
			continue;
		}
		const iface = first === 105 ? INTERFACE_IS.exec(trimmed) : null;
		if (iface) {
			close();
			tunnel = iface[1]!;
			continue;
		}
		if (first === 107 && KEY_POLICY_MAP.test(trimmed)) {
			close();
			policy = { tunnel, inbound: [], outbound: [], lines: [line] };
			continue;
		}
		if (!policy) {
			unparsed.push(line);
			continue;
		}
		policy.lines.push(line);
		const remote = first === 114 ? REMOTE_ADDRESS_IS.exec(trimmed) : null;
		if (remote && isIpAddress(remote[1]!)) {
			policy.peer = remote[1]!;
			continue;
		}
		if ((first === 105 || first === 111) && INBOUND_OUTBOUND.test(trimmed)) {
			direction = INBOUND_WORD.test(trimmed) ? 'in' : 'out';
			sa = undefined;
			continue;
		}
		const spi = first === 101 || first === 97 ? SPI_LINE.exec(trimmed) : null;
		if (spi && direction) {
			sa = spi[1]!.toUpperCase() === 'ESP' ? { spi: normaliseSpi(spi[2])! } : undefined;
			if (sa) (direction === 'in' ? policy.inbound : policy.outbound).push(sa);
			continue;
		}
		const transform = first === 116 ? TRANSFORM_IS.exec(trimmed) : null;
		if (transform && sa) {
			const { encryption, integrity } = necTransformOf(transform[1]!);
			if (encryption !== undefined) sa.encryption = encryption;
			if (integrity !== undefined) sa.integrity = integrity;
			continue;
		}
		const lifetime = first === 114 ? REMAINING_SECONDS.exec(trimmed) : null;
		if (lifetime && sa) {
			const seconds = parseInteger(lifetime[1]);
			if (seconds !== undefined) sa.expiresInSeconds = seconds;
			continue;
		}
		if (REMAINING_VOLUME.test(trimmed)) continue;
		if (isKnownLine(trimmed)) continue;
		policy.lines.pop();
		unparsed.push(line);
	}
	close();
	return { ipsec, unparsed };
}
