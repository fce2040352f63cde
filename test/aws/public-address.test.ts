import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findPublicAddress } from '../../source/aws/public-address.js';

async function serve(body: string, status = 200): Promise<{ url: string; close: () => void }> {
	const server = createServer((_request, response) => {
		response.writeHead(status, { 'Content-Type': 'text/plain' });
		response.end(body);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

describe('findPublicAddress (the /32 offered for SSH)', () => {
	it.each([
		['203.0.113.50\n', 200, '203.0.113.50'],
		['<html>captive portal</html>', 200, undefined],
		['203.0.113.50', 500, undefined],
	])('%j (HTTP %i) → %s', async (body, status, expected) => {
		const server = await serve(body, status);
		try {
			expect(await findPublicAddress({ url: server.url })).toBe(expected);
		} finally {
			server.close();
		}
	});

	it('gives up quietly when nothing answers', async () => {
		expect(await findPublicAddress({ url: 'http://127.0.0.1:1/', timeoutMs: 500 })).toBeUndefined();
	});
});
