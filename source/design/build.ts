import type { Answers, Peer } from '../flow/answers.js';
import type { ApplianceTunnelDesign } from './model.js';

export type ApplianceAddresses = { publicIp: string; privateIp: string };

/** The far host of a /30 (or /31) given one interface address: 172.16.0.1/30 → 172.16.0.2/30. */
export function partnerAddress(interfaceAddress: string): string {
	const [address = '', prefixText = '30'] = interfaceAddress.split('/');
	const octets = address.split('.').map(Number);
	const value = octets.reduce((sum, octet) => sum * 256 + octet, 0);
	const prefix = Number(prefixText);
	const size = 2 ** (32 - prefix);
	const network = value - (value % size);
	const hosts = prefix >= 31 ? [network, network + 1] : [network + 1, network + 2];
	const other = value === hosts[0] ? hosts[1] : hosts[0];
	const text = [24, 16, 8, 0].map((shift) => Math.floor((other ?? 0) / 2 ** shift) % 256).join('.');
	return `${text}/${prefix}`;
}

/** Install-guide 5a from the answers, the appliance's addresses as AWS reports them, and the resolved PSK. */
export function buildApplianceTunnelDesign(
	answers: Answers,
	peer: Peer,
	appliance: ApplianceAddresses,
	psk: string,
): ApplianceTunnelDesign {
	const applianceTunnel = answers.appliance.tunnelAddress;
	return {
		kind: 'appliance-ipsec',
		peerName: peer.name,
		psk,
		applianceName: answers.appliance.localName,
		appliance: {
			wanInterface: 'eth0',
			publicIp: appliance.publicIp,
			privateIp: appliance.privateIp,
			tunnelInterface: 'tunnel0',
			tunnelAddress: applianceTunnel,
			routesViaTunnel: peer.lan,
		},
		router: {
			wanInterface: peer.router?.wanInterface ?? 'ppp0',
			publicIp: peer.publicIp,
			tunnelInterface: 'tunnel0',
			tunnelAddress: peer.tunnelAddress ?? partnerAddress(applianceTunnel),
			routesViaTunnel: [`${appliance.privateIp}/32`],
		},
		mtu: 1300,
		mss: 1260,
	};
}
