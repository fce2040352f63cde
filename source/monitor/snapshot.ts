import type { ParseResult, RouterIdentity, StatusSnapshot } from '../router/model.js';

/** Pure: merge what each command's parser returned into one status snapshot (contract.md). */
export function buildSnapshot(router: RouterIdentity, results: readonly ParseResult[]): StatusSnapshot {
	const snapshot: StatusSnapshot = {
		router,
		ike: [],
		ipsec: [],
		bgp: [],
		routes: [],
		findings: [],
		unparsed: [],
	};
	for (const result of results) {
		if (result.ike) snapshot.ike?.push(...result.ike);
		if (result.ipsec) snapshot.ipsec?.push(...result.ipsec);
		if (result.bgp) snapshot.bgp?.push(...result.bgp);
		if (result.routes) snapshot.routes?.push(...result.routes);
		// extension section: only where a driver polls `show interface` (absent otherwise, as before)
		if (result.interfaces) snapshot.interfaces = [...(snapshot.interfaces ?? []), ...result.interfaces];
		snapshot.unparsed?.push(...result.unparsed);
	}
	return snapshot;
}

/** A snapshot for a router that could not be polled: reachable false, no sections guessed. */
export function unreachableSnapshot(router: RouterIdentity): StatusSnapshot {
	return {
		router: { ...router, reachable: false },
		ike: [],
		ipsec: [],
		bgp: [],
		routes: [],
		findings: [],
		unparsed: [],
	};
}
