/**
 * This machine's public IPv4 address as AWS sees it (checkip.amazonaws.com, AWS's own service), to
 * offer as the /32 an SSH rule should allow instead of 0.0.0.0/0. Undefined when it cannot be
 * found quickly: the offer is a convenience, never a reason to fail.
 */
export async function findPublicAddress(
	options: { url?: string; timeoutMs?: number } = {},
): Promise<string | undefined> {
	try {
		const response = await fetch(options.url ?? 'https://checkip.amazonaws.com/', {
			signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
		});
		if (!response.ok) return undefined;
		const text = (await response.text()).trim();
		return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) ? text : undefined;
	} catch {
		return undefined;
	}
}
