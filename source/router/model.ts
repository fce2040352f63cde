/**
 * The normalised router status model (../shared/docs/contract.md, "Status snapshot").
 * Fields a device does not print stay absent: never guess a value.
 */

export type IkeState = 'established' | 'negotiating' | 'down';
export type IpsecState = 'up' | 'down';
export type BgpState = 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established';

export type IkeSa = {
	peer: string;
	local?: string;
	state: IkeState;
	version?: 1 | 2;
	encryption?: string;
	integrity?: string;
	dhGroup?: number;
	expiresInSeconds?: number;
	natTraversal?: boolean;
};

export type IpsecSa = {
	peer: string;
	tunnel?: string;
	state: IpsecState;
	spiIn?: string;
	spiOut?: string;
	encryption?: string;
	integrity?: string;
	expiresInSeconds?: number;
	bytesIn?: number;
	bytesOut?: number;
	packetsIn?: number;
	packetsOut?: number;
};

export type BgpNeighbor = {
	neighbor: string;
	remoteAs?: number;
	state: BgpState;
	uptimeSeconds?: number;
	prefixesReceived?: number;
};

export type Route = {
	prefix: string;
	nextHop?: string;
	protocol?: string;
	asPath?: number[];
};

/**
 * One interface as `show interface` prints it (AW+; an extension of the contract's snapshot, section
 * `interfaces`). Every interface the device lists is kept (ports, VLANs, loopbacks, tunnels); the monitor
 * reads the tunnel ones for traffic counters where the IPsec SAs carry none. `hardware` is the device's
 * word (`Tunnel`, `Ethernet`, `VLAN`, `Loopback`); `address` the IPv4 address with its prefix length as
 * printed; `source`/`destination` only on tunnels that print them; counters since the interface came up.
 */
export type RouterInterface = {
	name: string;
	hardware?: string;
	linkUp: boolean;
	adminUp: boolean;
	address?: string;
	source?: string;
	destination?: string;
	bytesIn?: number;
	bytesOut?: number;
	packetsIn?: number;
	packetsOut?: number;
	lastChangeSeconds?: number;
};

export type AwsTunnelTelemetry = {
	vpnConnectionId: string;
	outsideIp: string;
	status: 'UP' | 'DOWN';
	statusMessage?: string;
	acceptedRouteCount?: number;
	lastStatusChange?: string;
};

export type Finding = {
	severity: 'error' | 'warning' | 'info';
	code: string;
	message: string;
	hint?: string;
};

export type RouterIdentity = {
	name: string;
	vendor: string;
	host: string;
	reachable: boolean;
	polledAt: string;
};

export type StatusSnapshot = {
	router?: RouterIdentity;
	ike?: IkeSa[];
	ipsec?: IpsecSa[];
	bgp?: BgpNeighbor[];
	routes?: Route[];
	/** Extension (not in contract.md's example): interfaces from `show interface`, where a driver polls it. */
	interfaces?: RouterInterface[];
	aws?: AwsTunnelTelemetry[];
	findings?: Finding[];
	unparsed?: string[];
};

/** What one parser returns: the sections it can fill, plus every line it did not understand. */
export type ParseResult = Omit<StatusSnapshot, 'router' | 'aws' | 'findings'> & { unparsed: string[] };
