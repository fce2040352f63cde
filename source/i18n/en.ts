/**
 * English catalog. Keys are grouped by the part of the product that shows them; `ja.ts` must
 * define every key (the type checker enforces it). `{name}` placeholders are filled by `format`.
 */
export const en = {
	// Answers-file and field rules: "{path}: <rule sentence>" — name the field, the rule and the fix.
	'rule.unknownKey': '{path}: unknown key. Remove it, or check its spelling against flows/examples/.',
	'rule.oneOf': '{path}: must be one of {allowed}.',
	'rule.required': '{path}: is required ({expected}).',
	'rule.type': '{path}: must be a {expected}.',
	'rule.tooSmall': '{path}: needs at least {minimum}.',
	'rule.tooBig': '{path}: allows at most {maximum}.',
	'rule.unreadable': 'Cannot read the answers file: {reason}',
	'rule.yamlSyntax': 'The answers file is not valid YAML: {reason}',
	'rule.cidr.syntax': '{path}: "{value}" is not an IPv4 CIDR block. Write it like 172.30.0.0/16.',
	'rule.cidr.hostBits': '{path}: "{value}" has host bits set. Use the network address {suggestion}.',
	'rule.ip.syntax': '{path}: "{value}" is not an IPv4 address. Write it like 198.51.100.10.',
	'rule.address.syntax':
		'{path}: "{value}" is not an interface address with a prefix length. Write it like 172.16.0.1/30.',
	'rule.address.notHost':
		'{path}: "{value}" is the network or broadcast address of its subnet. Pick a host address.',
	'rule.vpc.prefix': '{path}: AWS allows VPC blocks from /16 to /28; "{value}" is a /{prefix}.',
	'rule.subnet.prefix': '{path}: AWS allows subnet blocks from /16 to /28; "{value}" is a /{prefix}.',
	'rule.vpc.notPrivate':
		'{path}: "{value}" is not a private (RFC 1918) range. Prefer 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.',
	'rule.vpc.amfManagementRange':
		'{path}: "{value}" overlaps 172.31.0.0/16, which AMF uses as its default management subnet. The appliance would switch its AMF management subnet to 10.255.0.0/16 and every other AMF node in the area would need reconfiguring. Choose another range such as 172.30.0.0/16.',
	'rule.subnet.outsideVpc': '{path}: "{value}" is not inside the VPC block {vpc}. Choose a subnet of {vpc}.',
	'rule.network.overlapsVpc':
		'{path}: "{value}" overlaps the VPC block {vpc}; traffic could not be routed between them. Change one of the two.',
	'rule.sg.sshFromAnywhere':
		'{path}: SSH is open to the whole internet (0.0.0.0/0). Restrict it to your administrators’ addresses, e.g. your public IP as a /32.',
	'rule.keyPair.name':
		'{path}: "{value}" is not a valid key pair name (1–255 printable ASCII characters, no edge spaces).',
	'rule.keyPair.needFile':
		'{path}: give privateKeyFile (where to save a new key) or publicKeyFile (an existing public key to import).',
	'rule.stack.name':
		'{path}: "{value}" must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit.',
	'rule.tag.value': '{path}: a tag value must be 1–256 characters.',
	'rule.instance.type': '{path}: "{value}" is not an instance type name (like t3.small).',
	'rule.instance.ami': '{path}: "{value}" is not an AMI id (like ami-0123456789abcdef0).',
	'rule.region.syntax': '{path}: "{value}" is not an AWS region name (like ap-northeast-1).',
	'rule.psk.reference':
		'{path}: do not write a pre-shared key in the answers file. Use env:VARIABLE or file:PATH, or omit it to have one generated and shown once.',
	'rule.peers.count': '{path}: the {flow} flow needs between {min} and {max} peers.',
	'rule.peers.duplicateName': '{path}: the peer name "{value}" is used twice.',
	'secret.envMissing':
		'{reference}: the environment variable is not set. Export it, or omit psk to have one generated.',
	'secret.fileUnreadable': '{reference}: the file cannot be read. Check the path and its permissions.',
	'secret.empty': '{reference}: the secret is empty or not a reference (env:VAR or file:PATH).',
	'answers.invalid': 'The answers in {file} are not valid:',
	'answers.warnings': 'Warnings:',

	// CLI
	'cli.description':
		'Install the AMF Cloud appliance on AWS, join it to your routers, and watch the tunnels.',
	'cli.error': 'Error: {message}',
	'cli.usage': 'Usage error: {message}',
	'cli.answersRequired': '--answers FILE is required.',
	'cli.monitorNeedsRouter':
		'monitor: no router to poll. Give --host/--port/--user/--identity/--vendor, or run apply first so the state file lists the routers.',
	'cli.unknownVendor': '--vendor: "{value}" is not supported. Choose one of {allowed}.',
	'cli.vendorNotReady':
		'--vendor {value}: the parser for this vendor is not available yet. Available: {allowed}.',
	'cli.unknownCommand':
		'--command: "{value}" is not a command the {vendor} driver reads. Choose one of {allowed}.',
	'cli.stateMissing':
		'No state file at {path}: nothing was applied from here yet. Run apply first, or pass --state.',
	'cli.configNotReady':
		'config: no {vendor} generator for the {flow} flow in this version. Available: {allowed}.',
	'cli.configUnknownSide': '--for: "{value}" is neither the appliance nor a peer. Choose one of {allowed}.',
	'cli.configNeedsInstance':
		'config: the appliance has no addresses yet in {path}. Run apply first (its public and private IPs come from AWS).',
	'cli.configNeedsPsk':
		'{path}: a generated key is shown once and never stored, so it cannot be printed again. Give the key as env:VAR or file:PATH.',
	'cli.positiveNumber': '{flag}: "{value}" must be a positive number.',
	'cli.portNumber': '{flag}: "{value}" must be a port number from 0 to 65535 (0 = any free port).',
	'cli.flowUnknown': '--flow: "{value}" must be one of {allowed}.',
	'monitor.trustHostKey':
		'The host key of {host} is not known: {type} {fingerprint}. Trust it and remember it?',
	'cli.sandboxStarted': 'Sandbox running: EC2 endpoint {endpoint}. Press Ctrl-C to stop.',
	'cli.confirmApply': 'Apply these changes? Re-run with --yes to confirm.',
	'cli.confirmDestroy': 'Destroy everything listed above? Re-run with --yes to confirm.',
	'cli.noCredentials':
		'No AWS credentials found. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile, or try --sandbox.',
	'cli.interrupted': 'Interrupted. Run the same command again to resume where it stopped.',

	// Plan / apply / destroy (shared by the CLI and the wizard)
	'plan.title': 'Plan',
	'plan.create': 'create',
	'plan.keep': 'keep',
	'plan.replace': 'replace',
	'plan.summary': '{create} to create, {keep} to keep, {replace} to replace.',
	'plan.nothing': 'Nothing to change: everything already exists as asked.',
	'apply.title': 'Apply',
	'apply.created': 'created',
	'apply.kept': 'kept',
	'apply.step': '{action} {kind} {name}',
	'apply.retry': '{action} was throttled by AWS ({code}); retrying (attempt {attempt}).',
	'apply.failed': '{kind} {name}: {code}: {message} (request id {requestId})',
	'apply.failedHint': 'What to do: {hint}',
	'apply.iamMissing': 'Your IAM identity lacks the permission {iamAction}. Ask an administrator to allow it.',
	'apply.done': 'Applied in {seconds} s.',
	'apply.pskGenerated':
		'Generated pre-shared key for {peer} (shown once, not saved anywhere; store it in your password manager): {psk}',
	'apply.configuring': 'Configuring router {router}',
	'apply.configured': 'Router {router} configured ({lines} lines).',
	'apply.configureFailed': 'Router {router} rejected the line "{line}": {error}',
	'destroy.deleted': 'deleted {kind} {id}',
	'destroy.failed': 'could not delete {kind} {id}: {code} {message}',
	'destroy.done': 'Destroyed {count} resources.',
	'destroy.left': '{count} resources could not be deleted; they are still listed in the state file.',

	// Kinds (for plan tables and the step list)
	'kind.vpc': 'VPC',
	'kind.subnet': 'Subnet',
	'kind.internet-gateway': 'Internet gateway',
	'kind.route-table': 'Route table',
	'kind.security-group': 'Security group',
	'kind.key-pair': 'Key pair',
	'kind.instance': 'Instance',
	'kind.router-config': 'Router configuration',

	// Wizard
	'wizard.title': 'kakehashi 架け橋 — AMF Cloud on AWS',
	'wizard.sandboxBadge': 'SANDBOX (no AWS account used)',
	'wizard.chooseFlow': 'What do you want to build?',
	'wizard.flow.single-appliance': 'Single mode — the appliance’s own IPsec tunnel to your router',
	'wizard.flow.single-aws-vpn': 'Single mode — AWS VPN (virtual private gateway, two tunnels, BGP)',
	'wizard.flow.multi-tenant': 'Multi-tenant mode — one L2TPv3-over-IPsec tunnel per tenant',
	'wizard.flowNotReady':
		'This flow is not available yet in this version. Choose single mode (appliance VPN).',
	'wizard.step.credentials': 'API keys',
	'wizard.step.region': 'Region',
	'wizard.step.vpc': 'VPC',
	'wizard.step.subnet': 'Subnet',
	'wizard.step.internet': 'Internet gateway & route table',
	'wizard.step.securityGroup': 'Security group',
	'wizard.step.keyPair': 'Key pair',
	'wizard.step.instance': 'Instance',
	'wizard.step.peer': 'Your router',
	'wizard.step.plan': 'Plan',
	'wizard.step.apply': 'Apply',
	'wizard.step.monitor': 'Monitor',
	'wizard.help.credentials':
		'kakehashi calls AWS with your API keys (access key ID + secret access key). Profiles, SSO and environment variables are used first; the secret is never written to disk.',
	'wizard.credentials.sandbox': 'Using the built-in sandbox: its test credentials are used automatically.',
	'wizard.credentials.found': 'Using credentials from {source}.',
	'wizard.help.region':
		'The AWS region where the appliance will run. Choose the one closest to your sites (Tokyo is ap-northeast-1).',
	'wizard.help.vpc':
		'The VPC is your private network in AWS. Give it a private block from /16 to /28 that does not overlap your own networks. Do not use 172.31.0.0/16: AMF uses it for its management subnet.',
	'wizard.help.subnet':
		'The subnet holds the appliance. It must lie inside the VPC; it need not be the whole VPC range. Public IPs are assigned automatically.',
	'wizard.help.internet':
		'An internet gateway is attached to the VPC, and a route table sending 0.0.0.0/0 to it becomes the VPC’s main route table, so the appliance can reach the internet and your router.',
	'wizard.help.securityGroup':
		'The security group is the appliance’s firewall: SSH from your administrators, all traffic from your user network, and UDP 500/4500 (IKE, NAT-T) from your router.',
	'wizard.help.keyPair':
		'SSH into the appliance uses a key pair. AWS hands out the private key only once: kakehashi saves it owner-read-only (0400).',
	'wizard.help.instance':
		'The appliance runs as an EC2 instance from your AMF Cloud AMI. There is no console: SSH is the only way in.',
	'wizard.help.peer':
		'Your router at the site: its public IP, the LAN behind it, and how kakehashi reaches it over SSH to configure and watch it.',
	'wizard.help.plan': 'Nothing has been created yet. This is what apply will do.',
	'wizard.question.region': 'Region',
	'wizard.question.stackName': 'Stack name (prefix of every Name tag)',
	'wizard.question.vpcCidr': 'VPC IPv4 CIDR block',
	'wizard.question.subnetCidr': 'Subnet IPv4 CIDR block',
	'wizard.question.sgName': 'Security group name',
	'wizard.question.sshFrom': 'Allow SSH from (CIDR, comma-separated)',
	'wizard.question.userNetworks': 'Your user networks (CIDR, comma-separated)',
	'wizard.question.keyName': 'Key pair name',
	'wizard.question.keyFile': 'Save the private key to',
	'wizard.question.instanceType': 'Instance type',
	'wizard.question.instanceName': 'Instance Name tag',
	'wizard.question.peerIp': 'Your router’s public IP address',
	'wizard.question.peerLan': 'The LAN behind your router (CIDR, comma-separated)',
	'wizard.inputHint': 'enter: accept · esc: back · ctrl-c: quit',
	'wizard.confirmWarning': 'Press enter again to accept this anyway, or edit the value.',
	'wizard.planConfirm': 'enter: apply these changes · esc: back',
	'wizard.applying': 'Applying…',
	'wizard.applyFailed': 'Apply stopped. Fix the cause and press r to retry (it resumes), or q to quit.',
	'wizard.applyDone': 'Everything is in place. Press enter to open the live panel.',
	'wizard.stepDone': 'done',
	'wizard.stepCurrent': 'now',
	'wizard.stepPending': 'to do',

	// Live panel
	'panel.title': 'Live panel',
	'panel.router': 'Router',
	'panel.vendor': 'vendor',
	'panel.connection': 'connection',
	'panel.lastPoll': 'last poll',
	'panel.never': 'never',
	'panel.ago': '{seconds}s ago',
	'panel.state.connecting': 'connecting',
	'panel.state.ready': 'connected',
	'panel.state.reconnecting': 'reconnecting',
	'panel.state.closed': 'closed',
	'panel.state.idle': 'idle',
	'panel.state.error': 'error',
	'panel.stale': 'STALE — data is {seconds}s old',
	'panel.ike': 'IKE / ISAKMP SAs',
	'panel.ipsec': 'IPsec SAs',
	'panel.bgp': 'BGP neighbours',
	'panel.none': '(none)',
	'panel.col.peer': 'peer',
	'panel.col.state': 'state',
	'panel.col.version': 'ver',
	'panel.col.expires': 'expires',
	'panel.col.spi': 'SPI in/out',
	'panel.col.tunnel': 'tunnel',
	'panel.col.bytes': 'bytes in/out',
	'panel.col.neighbor': 'neighbour',
	'panel.col.as': 'AS',
	'panel.col.uptime': 'up/down',
	'panel.col.prefixes': 'pfx',
	'panel.footer': '?: help · r: poll now · p: pause · q: quit',
	'panel.paused': 'PAUSED',
	'panel.error': 'Last error: {message}',
	'panel.unparsed': '{count} lines not understood',

	// Monitor (non-interactive)
	'monitor.passphrase': 'Passphrase for {key}: ',
	'cli.monitorNeedsUser':
		'--user: no user for {host}. Give --user, or a User line for that host in ~/.ssh/config.',
	'monitor.hostKeyUnknown':
		'The host key of {host} is not known (fingerprint {fingerprint}). Check it with the router’s administrator, then re-run with --accept-new-host-key to trust it.',
	'monitor.hostKeyChanged':
		'WARNING: the host key of {host} has CHANGED. Expected {expected}, got {fingerprint}. This could be an attack or a reinstalled router. Refusing to connect; remove the old key only once you know why it changed.',
	'monitor.hostKeyRevoked': 'The host key of {host} is marked @revoked in known_hosts. Refusing to connect.',
	'monitor.unreachable': 'Cannot reach router {router} at {host}:{port}: {message}',

	// Sandbox
	'sandbox.applianceName': 'AMF Cloud appliance',
	'sandbox.siteRouterName': 'Site router (AR4050S)',

	// Findings (monitor/findings.ts): `finding.<code>.message` / `.hint`, and the values they quote
	'finding.ike.no-sa.security-group.message':
		'No IKE SA with {peer}: the security group does not allow {missing} from {source}.',
	'finding.ike.no-sa.security-group.hint':
		'Add inbound rules to the appliance instance’s security group: UDP 500 (ISAKMP) and UDP 4500 (NAT-T) from {source}/32, the peer’s public address.',
	'finding.ike.no-sa.message': 'No IKE SA with {peer}: phase 1 has not started.',
	'finding.ike.no-sa.hint':
		'Check that UDP 500 and 4500 reach {peer} and come back (on-premises firewall, ISP, security group), and that the router’s tunnel destination is this outside address. AWS waits for the router to start IKE (startup action “add”): make the router initiate, e.g. ping across the tunnel, or set the tunnel’s startup action to “start”.',
	'finding.ike.negotiating.message': 'IKE phase 1 with {peer} is stuck negotiating.',
	'finding.ike.negotiating.hint':
		'Router proposal: {proposal}. This tunnel accepts: {expected}. If the encryption, integrity, DH group or IKE version differ, change the router. If they match, suspect the pre-shared key: compare the key configured for outside address {peer} (each tunnel has its own key, matched by outside address, not by order). Keys are never shown here.',
	'finding.ipsec.missing.message': 'IKE is established with {peer}, but there is no IPsec SA (phase 2).',
	'finding.ipsec.missing.hint':
		'The phase-2 proposal or the PFS group does not match. This tunnel accepts: {expected}. Compare the router’s IPsec profile: encryption, integrity, PFS group, lifetime (AWS: 3600 s at most).',
	'finding.bgp.down.message':
		'IPsec is up with {peer}, but BGP with {neighbor} is not established (state: {state}).',
	'finding.bgp.down.hint':
		'Check the inside addresses (the router’s tunnel address and the neighbour address), the ASNs (the customer gateway’s ASN must be the router’s own), that BGP runs over the tunnel interface, and the timers (AWS: hold time 30 s, keepalive 10 s).',
	'finding.bgp.down.compare':
		'Router: {configured}. Design: neighbour {expectedNeighbor} AS {expectedAs}, this router {expectedLocal} AS {expectedLocalAs}.',
	'finding.bgp.no-prefixes.message': 'BGP with {neighbor} is established but has received no prefixes.',
	'finding.bgp.no-prefixes.hint':
		'AWS advertises {vpcCidr} once the virtual private gateway is attached to the VPC: check the attachment. If the neighbour is not AWS, check what it is configured to advertise.',
	'finding.aws.down-router-up.message':
		'AWS reports tunnel {outsideIp} DOWN, but the router has an IPsec tunnel up to {routerPeer}.',
	'finding.aws.down-router-up.hint':
		'Tunnels are matched by outside address, not by order. Point the router’s tunnel at {outsideIp}, an outside address of {vpnConnectionId}, with that tunnel’s own pre-shared key. If the addresses already match, AWS’s status can lag a few minutes behind.',
	'finding.aws.no-redundancy.message':
		'Only one of the two AWS tunnels is up: {outsideIp} is down, traffic runs over {upIp}.',
	'finding.aws.no-redundancy.hint':
		'Traffic still flows, but without redundancy. Bring the second tunnel up (the same checks as for a tunnel that never comes up).',
	'finding.aws.no-redundancy.maintenance':
		'AWS says “{statusMessage}”: AWS replaces tunnel endpoints during maintenance, one tunnel at a time. This is expected; no action is needed unless it lasts.',
	'finding.vpc.route-missing.message':
		'The VPC route table has no route to {prefixes} (route propagation {propagation}).',
	'finding.vpc.route-missing.hint':
		'Enable route propagation from the virtual private gateway on the route table (VPN routes are installed only then), or, with static routing, add the site prefix as a static route of the VPN connection.',
	'finding.vpc.route-missing.appliance':
		'Add a route for {prefixes} to the route table with the appliance instance (its network interface) as the target, and disable the instance’s source/destination check.',
	'finding.clock.skew.message': 'The clock is {seconds} s away from AWS’s.',
	'finding.clock.skew.hint':
		'AWS rejects requests signed more than 15 minutes off, and a skewed clock makes logs and SA lifetimes hard to compare. Synchronise the clock with NTP.',
	'finding.appliance.failsafe.message':
		'The appliance came back with a default configuration: the fail-safe has reset it.',
	'finding.appliance.failsafe.hint':
		'AMF Cloud reboots with its default configuration when it loses reach to its AWS servers (eth0 shut down, wrong static address, routing) or its SSH server stays disabled for 5 minutes; the old configuration is kept as default_backup.cfg. Fix the cause, then restore it with “copy default_backup.cfg startup-config” and “reboot”.',
	'finding.mtu.advice.message':
		'Tunnel MTU {mtu} / TCP MSS {mss} exceed what AWS VPN carries (inner MTU 1399, MSS 1387).',
	'finding.mtu.advice.hint':
		'Path-MTU discovery does not work through the tunnel, so large packets fail while small ones pass. Set the tunnel MTU to 1399 or less and clamp TCP MSS to 1387 or less (“ip tcp adjust-mss 1387”).',
	'finding.ipsec.rekey-churn.message':
		'The SAs with {peer} were re-established {count} times within {minutes} minutes, more often than their {lifetime} s lifetime.',
	'finding.ipsec.rekey-churn.hint':
		'Rekey collisions or an over-eager DPD: keep the router’s lifetimes at or below AWS’s (phase 1 28800 s, phase 2 3600 s) and the DPD interval at 10 s or more.',
	'finding.value.unknown': 'unknown',
	'finding.value.none': 'no BGP neighbour',
	'finding.value.not-configured': 'not configured',
	'finding.value.on': 'on',
	'finding.value.off': 'off',
	'finding.value.site-prefixes': 'the site’s prefixes',
	'finding.value.vpc-cidr': 'the VPC block',
	// Monitor events (monitor/events.ts): `event.<code>`
	'event.router.unreachable': '{router}: cannot be reached ({host}).',
	'event.router.reconnected': '{router}: reachable again ({host}).',
	'event.tunnel.up': '{router}: the tunnel to {peer} is up.',
	'event.tunnel.down': '{router}: the tunnel to {peer} is down.',
	'event.ike.changed': '{router}: IKE with {peer}: {from} → {to}.',
	'event.ipsec.changed': '{router}: IPsec with {peer}: {from} → {to}.',
	'event.bgp.changed': '{router}: BGP with {neighbor}: {from} → {to}.',
	'event.sa.rekey': '{router}: the IPsec SA with {peer} was rekeyed (SPI {from} → {to}).',
	'event.aws.changed': '{router}: AWS reports tunnel {peer} {to} (was {from}). {message}',
	// Panel (issue 5)
	'panel.hint': '?:help /:filter enter:open esc:back r:poll p:pause l:raw s:ssh e:export q:quit',
	'panel.routers': 'Routers',
	'panel.col.router': 'router',
	'panel.col.address': 'address',
	'panel.col.connection': 'connection',
	'panel.col.tunnelsUp': 'tunnels',
	'panel.col.findings': 'findings',
	'panel.col.p1': 'P1',
	'panel.col.p2': 'P2',
	'panel.col.bgpState': 'BGP',
	'panel.col.aws': 'AWS',
	'panel.col.in': 'in/s',
	'panel.col.out': 'out/s',
	'panel.tunnelsUp': '{up}/{total} up',
	'panel.findingCounts': '{errors} err {warnings} warn',
	'panel.pollTook': 'poll {ms} ms',
	'panel.staleShort': 'STALE {seconds}s',
	'panel.noTunnels': 'No tunnels reported by this router yet.',
	'panel.noRouters': 'No routers to watch.',
	'panel.otherBgp': 'BGP neighbours of no tunnel',
	'panel.findings': 'Findings',
	'panel.noFindings': 'No problems found.',
	'panel.moreFindings': '… {count} more (enter on a tunnel, or e to export all)',
	'panel.events': 'Events',
	'panel.noEvents': 'No changes seen yet.',
	'panel.filterLabel': 'filter: {text}',
	'panel.filterEditing': 'filter: {text}▏ (enter to keep, esc to clear)',
	'panel.filterNone': 'Nothing matches “{text}”.',
	'panel.detail.title': 'Tunnel {name} — {router}',
	'panel.detail.phase1': 'Phase 1 (IKE)',
	'panel.detail.phase2': 'Phase 2 (IPsec SAs)',
	'panel.detail.bgp': 'BGP',
	'panel.detail.aws': 'AWS telemetry',
	'panel.detail.traffic': 'Traffic',
	'panel.detail.raw': 'Raw output: lines about this tunnel',
	'panel.detail.missing': 'not present',
	'panel.detail.ike':
		'{state} · IKEv{version} · {encryption}/{integrity}/DH {dhGroup} · expires in {expires} · NAT-T {nat} · local {local}',
	'panel.detail.ipsec':
		'{state} {tunnel} · SPI in {spiIn} out {spiOut} · {encryption}/{integrity} · expires in {expires}',
	'panel.detail.counters': 'bytes in {bytesIn} out {bytesOut} · packets in {packetsIn} out {packetsOut}',
	'panel.detail.bgpLine': '{neighbor} AS {as} · {state} · up/down {uptime} · {prefixes} prefixes received',
	'panel.detail.awsLine': '{id} · {status} · {routes} routes accepted · last change {changed} {message}',
	'panel.detail.rates': 'in {in}/s  out {out}/s',
	'panel.detail.back': 'esc: back to the tunnels',
	'panel.raw.title': 'Raw output of the last poll — {router}',
	'panel.raw.none': 'Nothing polled yet.',
	'panel.raw.back': 'esc: back',
	'panel.help.title': 'Keys',
	'panel.help.help': 'show or hide this help',
	'panel.help.filter': 'filter tunnels or routers by text (enter keeps it, esc clears it)',
	'panel.help.move': 'move the selection (also j / k)',
	'panel.help.switch': 'next / previous router',
	'panel.help.enter': 'open: the router from the list, the tunnel’s details from the table',
	'panel.help.back': 'back: to the tunnels, then to the router list',
	'panel.help.poll': 'poll the router now',
	'panel.help.pause': 'pause or resume polling this router',
	'panel.help.raw': 'raw output of the last poll',
	'panel.help.shell': 'interactive SSH shell to the router (exit it to come back)',
	'panel.help.export': 'export a troubleshooting bundle (PSKs and keys redacted) to a file',
	'panel.help.quit': 'quit',
	'panel.help.stale': 'STALE: the router stopped answering; the data shown is from the last good poll.',
	'panel.shellUnavailable': 'An SSH shell is not available from this screen.',
	'panel.exportUnavailable': 'Exporting a bundle is not available from this screen.',
	'panel.exporting': 'Writing the troubleshooting bundle…',
	'panel.exported': 'Troubleshooting bundle written to {path} (PSKs and keys redacted).',
	'panel.exportFailed': 'Could not write the troubleshooting bundle: {message}',
	'panel.shellFailed': 'The SSH shell to {router} failed: {message}',
	'panel.shellNotConnected':
		'The SSH shell to {router} needs the host key the monitor verified: wait until it is connected, then press s again.',
	'cli.monitorMetrics': 'Prometheus metrics at {url}',
	'cli.monitorMetricsBad': '--metrics: “{value}” must be HOST:PORT, e.g. 127.0.0.1:9464.',
	// Modes and configs (issue 7)
	'rule.vpn.amazonAsn.range':
		'{path}: {value} is not a private ASN. The Amazon side of a virtual private gateway takes 64512–65534 or 4200000000–4294967294 (default 64512).',
	'rule.vpn.asn.range':
		'{path}: {value} is not a BGP ASN AWS accepts (1–4294967294). Use your router’s ASN, e.g. 65000.',
	'rule.vpn.asn.reserved':
		'{path}: AWS reserves ASN {value} (7224, 9059, 10124 and 17943 are refused for customer gateways). Choose another, e.g. 65000.',
	'rule.vpn.asn.sameAsAmazon':
		'{path}: ASN {value} is also the Amazon side’s ASN; BGP would not form. Give the customer gateway a different ASN, e.g. 65000.',
	'rule.vpn.psk.length': '{path}: a tunnel pre-shared key needs 8–64 characters; this one has {length}.',
	'rule.vpn.psk.characters':
		'{path}: AWS accepts only letters, digits, "." and "_" in a tunnel pre-shared key. Remove the other characters.',
	'rule.vpn.psk.leadingZero':
		'{path}: AWS refuses a tunnel pre-shared key that starts with 0. Change the first character.',
	'rule.vpn.insideCidr.prefix': '{path}: "{value}" must be a /30 (four addresses), like 169.254.10.0/30.',
	'rule.vpn.insideCidr.linkLocal':
		'{path}: "{value}" is not inside 169.254.0.0/16. Pick a /30 such as 169.254.10.0/30.',
	'rule.vpn.insideCidr.reserved':
		'{path}: AWS reserves "{value}" (169.254.0.0/30 to 169.254.5.0/30 and 169.254.169.252/30). Pick another /30.',
	'rule.vpn.insideCidr.duplicate':
		'{path}: "{value}" is already used by {other}; inside CIDRs must be unique per virtual private gateway.',
	'rule.vpn.ikeVersion': '{path}: "{value}" is not an IKE version AWS offers ({allowed}).',
	'rule.vpn.proposal': '{path}: "{value}" is not offered by AWS; choose from {allowed}.',
	'rule.vpn.lifetime.range': '{path}: {value} s is outside the {min}–{max} s AWS allows.',
	'rule.vpn.lifetime.order':
		'{path}: the phase 2 lifetime ({phase2} s) must be shorter than the phase 1 lifetime ({phase1} s).',
	'rule.vpn.dpdTimeout': '{path}: AWS needs a DPD timeout of 30 seconds or more (got {value}).',
	'rule.tenant.duplicateName':
		'{path}: the ISAKMP name "{value}" is already used by {other}. Every tenant needs its own name (vaa1, vaa2, …).',
	'rule.tenant.duplicateTunnel':
		'{path}: the appliance tunnel interface "{value}" is already used by {other}. Give each tenant its own (tunnel1, tunnel2, …).',
	'rule.tenant.tunnelName': '{path}: "{value}" is not a tunnel interface name (like tunnel1).',
	'rule.tenant.l2tpv3Same':
		'{path}: the local and remote L2TPv3 IDs are both {value}; they must differ (e.g. 11 and 12).',
	'rule.tenant.duplicateL2tpv3':
		'{path}: the L2TPv3 ID {value} is already used by {other}. Every tenant needs its own pair (11/12, 21/22, …).',
	'rule.vpn.customerIpPrivate':
		'{path}: {value} is a private address. AWS reaches the customer gateway over the internet: give its public address (the router then sits behind NAT and needs NAT traversal).',
	'rule.vpn.staticRoutesUnused':
		'{path}: static routes apply to static routing only; with BGP the router announces its networks. Remove them or set routing: static.',
	'rule.tenant.duplicatePsk':
		'{path}: the same pre-shared key as {other}. Every tenant needs its own key; omit psk to have one generated.',
	// AWS flow (issue 3)
	'flow.wait.state': 'waiting: AWS reports “{state}”',
	'flow.wait.notVisible': 'waiting: not visible yet (AWS takes a moment to show what was just created)',
	'flow.note.rulesAdded': 'added {count} inbound rule(s) in one call',
	'flow.keep.rulesMissing': '{count} inbound rule(s) to add',
	'flow.keep.instanceType':
		'the instance type is {actual}, the answers say {wanted}: kakehashi keeps the appliance as it is (change the type by stopping the instance in the console)',
	'flow.replace.cidr': 'CIDR {from} → {to}',
	'flow.replace.zone': 'availability zone {from} → {to}',
	'flow.replace.name': 'name {from} → {to}',
	'flow.replace.ami': 'AMI {from} → {to}',
	'flow.replace.parent': 'its {parent} is replaced',
	'flow.replace.keyMismatch': '{path} is not its private key',
	'flow.replace.keyLost': 'its private key is not at {path} and AWS never hands it out twice',
	'flow.replace.deletingFirst': 'deleting first: {reason}',
	'flow.note.deleted': 'deleted',
	'flow.note.keySaved': 'private key saved to {path} (mode 0400, owner read-only)',
	'flow.note.keyImported': 'public key {path} imported as key pair {name}',
	'flow.note.keyImportedFromPem':
		'{path} already holds a private key: its public key was imported as key pair {name} (the file was not overwritten)',
	'flow.note.keyLeftOnDisk':
		'AWS’s copy of the key pair is deleted; the private key file {path} was left on disk (delete it yourself when no longer needed)',
	'flow.note.instanceStarting': 'the instance was stopped: starting it',
	'flow.note.instanceAddress': 'public IP {publicIp}, private IP {privateIp}',
	'flow.note.consoleEmpty':
		'The system log (GetConsoleOutput) is still empty: AWS refreshes it on its own timer, usually a few minutes after boot. This is normal; read it later in the EC2 console (Actions → Monitor and troubleshoot → Get system log).',
	'flow.note.routeTableAssociated': 'route table {id} is still associated with {subnet}',
	'flow.note.consoleLine': 'system log: {line}',
	'flow.note.clockSkew':
		'This machine’s clock is {seconds} s {direction} AWS’s. AWS rejects requests signed more than 15 minutes off: synchronise the clock with NTP (e.g. “sudo timedatectl set-ntp true”).',
	'flow.clock.ahead': 'ahead of',
	'flow.clock.behind': 'behind',
	'flow.retry.throttled':
		'{operation} was throttled by AWS ({code}); the SDK slows down and retries (attempt {attempt}).',
	'flow.retry.transient': '{operation} failed with {code}; retrying (attempt {attempt}).',
	'flow.retry.dependency':
		'{code}: something still depends on it (network interfaces drain for a while after an instance is terminated); retrying (attempt {attempt}).',
	'flow.destroy.leftAlone': 'existed before kakehashi: left alone',
	'flow.destroy.notSupported':
		'kakehashi destroy does not delete {kind} resources yet: delete {id} yourself.',
	'flow.destroy.failedHead': 'Not deleted, still listed in the state file:',
	'flow.destroy.keptHead': 'Left alone (they existed before kakehashi):',
	'flow.error.notOurs':
		'{kind} {id} must be replaced ({reason}) but was not created by kakehashi, so kakehashi will not delete it. Change the answers to fit it, or remove it yourself.',
	'flow.error.keyPairMissing':
		'Key pair “{name}” already exists in AWS but its private key is not at {path}, and AWS never hands a private key out twice. Either delete that key pair (EC2 → Key pairs) so kakehashi creates a new one, or put its PEM at that path (or point keyPair.privateKeyFile at it), or name another key pair.',
	'flow.error.keyPairMismatch':
		'{path} is not the private key of key pair “{name}” (the fingerprints differ). Point keyPair.privateKeyFile at the right PEM, or name another key pair.',
	'flow.error.noImage':
		'No AMI to launch: instance.ami is not set and this account has no image named vaa* in {region}. Import the vendor VHD first (kakehashi image import), or set instance.ami.',
	'flow.error.mainRouteTable':
		'Route table {id} is the main table of {vpc} and no other table can take that role back; make another table main in the console, then run destroy again.',
	'flow.error.parentMissing': '{kind} needs its {parent}, which is not there yet.',
	'flow.error.runInstancesTerminated':
		'RunInstances kept returning terminated instances for every client token tried. Check the AMI and instance type, then run again.',
	'flow.error.stopped': '{kind} {name} stopped the run: {code}. {message}',
	'flow.error.requestId': 'AWS request id: {requestId} (quote it to AWS Support).',
	'flow.error.regionMismatch':
		'--region {flag} differs from region: {region} in {file}. The answers file decides where the stack lives: change one of the two.',
	'flow.error.stateRegionMismatch':
		'--region {flag} differs from the region {region} recorded in {file}, where the stack lives. Drop --region, or pass the state file of that region.',
	'flow.action.delete': 'delete',
	'flow.action.adopt': 'adopt',
	'flow.stateFile.unreadable':
		'{path}: cannot read the state file ({detail}). Check its permissions, or pass another --state.',
	'flow.stateFile.corrupt':
		'{path}: the state file is damaged ({detail}). It was left as it is: restore it from a backup or move it away.',
	'flow.stateFile.foreign':
		'{path}: this is not a kakehashi state file ({detail}). It was left as it is: pass another --state.',
	'flow.stateFile.version':
		'{path}: the state file was written by a newer kakehashi ({detail}). Update kakehashi.',
	'flow.stateFile.secret': '{path}: refusing to write a secret into the state file ({detail}).',
	'flow.stateFile.mismatch':
		'{path}: it records stack “{stack}” in {region}; the answers ask for “{wantedStack}” in {wantedRegion}. Pass --state with another file, or destroy that stack first.',
	'flow.error.waitTimeout': 'Gave up waiting for {id} after {seconds} s (last state AWS reported: {state}).',
	'flow.error.instanceStopped':
		'Instance {id} went to {state} instead of running (AWS says: {reason}). Check the AMI and the instance type, then run again.',
	'flow.parent.vpc': 'VPC',
	'flow.parent.subnet': 'subnet',
	'flow.parent.internet-gateway': 'internet gateway',
	'flow.parent.security-group': 'security group',
	'flow.parent.key-pair': 'key pair',
	'awsError.unauthorized':
		'Your IAM identity is not allowed to call {iamAction}. Ask an administrator to add {iamAction} to your policy, then run again (it resumes).',
	'awsError.unauthorizedUnknown':
		'Your IAM identity lacks a permission this step needs. Ask an administrator to check your policy, then run again.',
	'awsError.authFailure':
		'AWS did not accept the credentials: the access key ID is wrong, deleted or inactive, or the secret does not belong to it. Check which profile or keys are in use (the credentials step shows the account and identity).',
	'awsError.clockSkew':
		'AWS rejected the request as expired: this machine’s clock is probably off. AWS accepts at most 15 minutes of difference. Synchronise the clock with NTP, then run again.',
	'awsError.clockSkewMeasured':
		'AWS rejected the request as expired: this machine’s clock is {seconds} s away from AWS’s, and AWS accepts at most 15 minutes. Synchronise the clock with NTP (e.g. “sudo timedatectl set-ntp true”), then run again.',
	'awsError.expiredToken':
		'The temporary credentials have expired. Sign in again (for SSO: aws sso login --profile NAME), then run again.',
	'awsError.throttled':
		'AWS is throttling this account’s API calls. The SDK already slowed down and retried; wait a minute, then run again (it resumes).',
	'awsError.network':
		'Cannot reach {endpoint}. Check the network, a proxy, or --endpoint-url, then run again.',
	'awsError.noAmi':
		'No such AMI in this region: import one first (kakehashi image import) or give instance.ami the id of an AMI of this region.',
	'awsError.invalidParameterValue':
		'AWS refused a value kakehashi sent ({message}). Check the answers field it names; if it looks right, the endpoint may not support that value.',
	'awsError.vpcLimit':
		'This region already has as many VPCs as the account may have (5 by default). Delete an unused VPC, or ask for more in Service Quotas (Amazon VPC → VPCs per Region).',
	'awsError.addressLimit':
		'The account has used all its Elastic IP addresses in this region (5 by default). Release an unused one, or ask for more in Service Quotas.',
	'awsError.igwLimit':
		'The account has as many internet gateways as it may in this region. Delete an unused one, or ask for more in Service Quotas.',
	'awsError.sgLimit':
		'The VPC has as many security groups as it may. Delete an unused one, or ask for more in Service Quotas.',
	'awsError.rulesLimit':
		'The security group has as many rules as it may (60 inbound by default). Merge networks into fewer blocks, or ask for more in Service Quotas.',
	'awsError.instanceLimit':
		'The account may not run more instances (or vCPUs) of this kind in this region. Stop or terminate an unused one, or ask for more in Service Quotas (EC2 → Running On-Demand instances).',
	'awsError.capacity':
		'AWS has no free capacity for this instance type in that availability zone right now. Run again later, or choose another availability zone (subnet.availabilityZone) or instance type (instance.type).',
	'awsError.unsupported':
		'AWS does not support this request here ({message}). Usually the instance type is not offered in that availability zone: choose another zone or type.',
	'awsError.optIn':
		'The region is not enabled for this account (or the AMI needs a subscription). Enable the region in the account settings, or choose another region.',
	'awsError.dependency':
		'Something still depends on it (an instance, a network interface, another route table or group). kakehashi retried while dependencies drained; delete what still uses it, then run destroy again.',
	'awsError.keyPairDuplicate':
		'A key pair with that name already exists. Name another key pair, or delete that one first.',
	'awsError.groupDuplicate':
		'A security group with that name already exists in the VPC. Name another group, or delete that one first.',
	'awsError.idempotentMismatch':
		'A previous RunInstances with the same client token asked for something else. Run again; if it repeats, delete the state file’s instance record.',
	'awsError.waitTimeout': 'AWS may still be working on it: run the same command again to resume.',
	'awsError.duplicateStackResource':
		'Two resources of one kind carry this stack’s tag. Delete the one you do not want (or remove its tag), then run again.',
	'awsError.noCredentials':
		'No AWS credentials found. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile, sign in with aws sso login, or try --sandbox.',
	'awsError.internal': 'AWS had an internal error. It is usually brief: run again (it resumes).',
	'credentials.source.env': 'environment variables (AWS_ACCESS_KEY_ID)',
	'credentials.source.profile': 'profile “{profile}” ({type})',
	'credentials.source.chain': 'the default chain (environment, profiles, SSO, instance role)',
	'credentials.source.typed': 'access key typed now (kept in memory only)',
	'credentials.source.sandbox': 'the sandbox’s test credentials',
	'credentials.type.static': 'access key',
	'credentials.type.sso': 'SSO',
	'credentials.type.process': 'credential process',
	'credentials.type.role': 'assumed role',
	'credentials.type.webIdentity': 'web identity',
	'credentials.type.other': 'profile',
	'credentials.choose': 'Which credentials should kakehashi use?',
	'credentials.verifying': 'Checking the credentials with AWS (STS GetCallerIdentity)…',
	'credentials.verified': 'Account {account} · {arn}',
	'credentials.failed': 'These credentials do not work: {code}. {hint}',
	'credentials.typeKeys': 'Type an access key instead',
	'credentials.accessKeyId': 'Access key ID',
	'credentials.secretAccessKey': 'Secret access key (not shown, never written to disk)',
	'credentials.saveProfile':
		'Save these keys as a profile in ~/.aws/credentials? Type a profile name, or leave empty to keep them in memory only',
	'credentials.saved': 'Saved as profile “{profile}” in {file} (mode 0600).',
	'credentials.continue': 'enter: continue · esc: choose other credentials',
	'credentials.keyIdSyntax': 'An access key ID is 16–128 letters and digits, like AKIAIOSFODNN7EXAMPLE.',
	'region.loading': 'Asking AWS which regions this account can use (DescribeRegions)…',
	'region.zone': 'Availability zone',
	'region.anyZone': 'any (AWS chooses)',
	'region.failed': 'Could not list the regions: {message}. Type the region name instead.',
	'choice.hint': '↑/↓: choose · enter: accept · esc: back',
	'rule.instance.amiNotFound':
		'{path}: this account has no available image named “{value}” in {region}. Import it first (kakehashi image import), or give an AMI id or the exact name of one of your images.',
	'rule.instance.typeNotOffered':
		'{path}: the instance type “{value}” is not offered in {location}. Choose one offered there, e.g. {examples}.',
	'rule.subnet.zoneUnknown':
		'{path}: “{value}” is not an availability zone of {region}. Choose one of {zones}.',
	'rule.sg.sshFromAnywhereOffer':
		'{path}: SSH is open to the whole internet (0.0.0.0/0). Restrict it to your administrators’ addresses: {suggestion} is this machine’s public address as a /32.',
	'rule.network.overlapsNetwork':
		'{path}: “{value}” overlaps {other} ({otherPath}); the appliance could not tell the two networks apart. Give each site its own range.',
	'rule.network.overlapsTunnel':
		'{path}: “{value}” overlaps the tunnel addresses {tunnel} ({otherPath}). Choose another tunnel range, such as 172.16.0.0/30.',
	'rule.sg.name':
		'{path}: “{value}” is not a valid security group name: 1–255 characters of a–z, A–Z, 0–9, spaces and ._-:/()#,@[]+=&;{}!$*, not starting with sg-.',
	'rule.tag.reserved': '{path}: “{value}” starts with aws:, which AWS reserves for its own tags.',
	'rule.tag.characters': '{path}: “{value}” contains control characters, which AWS does not allow in tags.',
	// — AWS VPN steps (single-aws-vpn: virtual private gateway, customer gateway, VPN connection)
	'kind.vpn-gateway': 'Virtual private gateway',
	'kind.customer-gateway': 'Customer gateway',
	'kind.vpn-connection': 'VPN connection',
	'flow.parent.route-table': 'route table',
	'flow.parent.vpn-gateway': 'virtual private gateway',
	'flow.parent.customer-gateway': 'customer gateway',
	'flow.replace.amazonAsn': 'Amazon-side ASN {from} → {to}',
	'flow.replace.customerAsn': 'BGP ASN {from} → {to}',
	'flow.replace.publicIp': 'public IP {from} → {to}',
	'flow.replace.routing': 'routing {from} → {to}',
	'flow.replace.tunnelOption': 'tunnel {tunnel}: {option} {from} → {to}',
	'flow.replace.tunnelPsk': 'tunnel {tunnel}: its pre-shared key is not the one {reference} holds',
	'flow.keep.propagationOff': 'route propagation to enable on route table {routeTable}',
	'flow.keep.vpnRoutesMissing': '{count} static route(s) to add',
	'flow.note.propagationEnabled': 'route propagation enabled on route table {routeTable}',
	'flow.note.vgwRoute': 'route {cidr} → {gateway} set in route table {routeTable}',
	'flow.note.vpnRoutesAdded': 'static routes added: {routes}',
	'flow.note.vpnTunnels': 'tunnel outside addresses (AWS side): {addresses}',
	'flow.note.vpnSlow':
		'AWS takes several minutes (often 5–10) to make a VPN connection available; kakehashi waits up to {minutes} min. If this run stops, run apply again: it resumes the wait.',
	'flow.wait.vpnConnection': 'waiting for the VPN connection: AWS reports “{state}” ({minutes} min so far)',
	'flow.note.customerGatewayShared':
		'AWS already had customer gateway {id} for {ip} (ASN {asn}), made outside this stack: it is used as it is, and destroy leaves it alone',
	'flow.error.vpnConnectionGone':
		'VPN connection {id} became “{state}” while kakehashi waited for it (deleted outside kakehashi?). Run apply again to create a new one.',
	// --- modes in the wizard (single-aws-vpn, multi-tenant tenant list) and config for every flow (issue 7) ---
	'wizard.step.vpnGateway': 'Virtual private gateway',
	'wizard.step.customerGateway': 'Customer gateway',
	'wizard.step.vpnConnection': 'VPN connection',
	'wizard.step.tenants': 'Tenants',
	'wizard.help.vpnGateway':
		'AWS’s end of the VPN: a virtual private gateway attached to the VPC. Its BGP ASN must be private (64512–65534 or 4200000000–4294967294).',
	'wizard.help.customerGateway':
		'Your router as AWS knows it: its public IP, its BGP ASN, the LAN behind it, and its vendor (for the configuration kakehashi writes).',
	'wizard.help.vpnConnection':
		'Two tunnels to two AWS endpoints, routed by BGP (recommended) or static routes. Leave a tunnel’s inside CIDR or key empty and AWS chooses one.',
	'wizard.help.tenants':
		'One L2TPv3-over-IPsec tunnel per tenant, each bridged into its own AMF container: tenants may reuse the same address plans. Each gets its own ISAKMP name, key and L2TPv3 ids from its position.',
	'wizard.question.amazonSideAsn': 'Amazon-side BGP ASN',
	'wizard.question.customerGatewayIp': 'Your router’s public IP address (customer gateway)',
	'wizard.question.customerAsn': 'Your router’s BGP ASN',
	'wizard.question.routerVendor': 'Router vendor',
	'wizard.question.routing': 'Routing',
	'wizard.question.tunnel1InsideCidr': 'Tunnel 1 inside CIDR (empty: AWS chooses)',
	'wizard.question.tunnel1Psk': 'Tunnel 1 pre-shared key reference (empty: AWS generates)',
	'wizard.question.tunnel2InsideCidr': 'Tunnel 2 inside CIDR (empty: AWS chooses)',
	'wizard.question.tunnel2Psk': 'Tunnel 2 pre-shared key reference (empty: AWS generates)',
	'wizard.question.linkLocalRoute': 'Route for the tunnels’ link-local range',
	'wizard.question.tenantName': 'Tenant name',
	'wizard.question.tenantIp': 'Tenant router’s public IP address',
	'wizard.question.tenantLan': 'Tenant LAN (CIDR, comma-separated)',
	'wizard.question.tenantTunnelAddress': 'Tenant router’s tunnel address',
	'wizard.question.tenantPsk': 'Pre-shared key reference (empty: generated and shown once)',
	'wizard.hint.insideCidr':
		'A /30 inside 169.254.0.0/16, not 169.254.0.0–169.254.5.0/30 nor 169.254.169.252/30, different from the other tunnel’s.',
	'wizard.hint.tunnelPsk':
		'env:VAR or file:PATH — never the key itself. AWS accepts 8–64 letters, digits, . and _, not starting with 0.',
	'wizard.hint.linkLocalRoute':
		'So that pings from the router’s tunnel addresses get answers (install guide 5b). Empty: no such route.',
	'wizard.hint.tenantTunnelAddress':
		'With a prefix, e.g. 172.16.0.2/24; its container’s eth1 takes the other host address. Tenants may share it.',
	'wizard.hint.tenantPsk': 'env:VAR or file:PATH — never the key itself. Every tenant needs its own key.',
	'wizard.vendor.awplus': 'awplus — Allied Telesis AlliedWare Plus (AR series)',
	'wizard.vendor.cisco-ios': 'cisco-ios — Cisco IOS / IOS XE (ISR)',
	'wizard.vendor.nec-ix': 'nec-ix — NEC UNIVERGE IX',
	'wizard.vendor.yamaha-rtx': 'yamaha-rtx — Yamaha RTX / NVR',
	'wizard.vendor.juniper-srx': 'juniper-srx — Juniper SRX',
	'wizard.vendor.strongswan-frr': 'strongswan-frr — Linux with strongSwan + FRR',
	'wizard.routing.bgp': 'BGP (dynamic): both tunnels announce routes, failover is automatic',
	'wizard.routing.static': 'Static: the LAN prefixes become the VPN connection’s routes',
	'wizard.tenants.empty': 'No tenant yet.',
	'wizard.tenants.add': '+ Add a tenant',
	'wizard.tenants.done': '→ Continue with {count} tenant(s)',
	'wizard.tenants.needOne': 'Add at least one tenant to continue.',
	'wizard.tenants.identity': 'ISAKMP {isakmpName} · {applianceTunnel} · L2TPv3 {local}/{remote}',
	'wizard.tenants.keys': 'enter: edit · a: add · d: remove · esc: back',
	'wizard.tenants.editing': 'Tenant {position}',
	'wizard.tenants.removeConfirm':
		'Remove tenant {name}? The tenants after it move up one place (their ids follow). y: remove · n: keep',
	'wizard.tenants.sharedPlan':
		'{names} share address ranges: fine in multi-tenant mode, each tenant is bridged into its own AMF container.',
	'wizard.tenants.manualConfig':
		'kakehashi writes tenant-router configurations for awplus only (L2TPv3 over IPsec with ISAKMP names); configure {vendor} by hand from `kakehashi config --for appliance`.',
	'rule.peers.duplicateAddress':
		'{path}: the router address {value} is already used by {other}. The appliance tells tunnels apart by that address: each router needs its own.',
	'rule.psk.unresolved':
		'{path}: {reference} gives no key (the variable is unset or the file is missing or empty). Set it first, or leave the field empty.',
	'rule.tenant.nameSyntax':
		'{path}: “{value}” is not a tenant name: 1–64 letters, digits, ., _ or -, starting with a letter or digit.',
	'rule.tenant.nameTaken':
		'{path}: the name “{value}” is already used by {other}. Give each tenant its own name.',
	'cli.configVpnNotApplied':
		'config: {path} records no VPN connection yet. Run `kakehashi apply` first: the tunnels’ addresses and keys come from AWS.',
	'cli.configVpnMissing':
		'config: the VPN connection {id} recorded in {path} does not exist in AWS (or was deleted). Run `kakehashi apply` to create it again.',
	'cli.configVpnPending':
		'config: the VPN connection {id} has no tunnel configuration yet (state {state}). Wait until it is available, then run config again.',
	'cli.configFile': '# ==> {file} <==',
	'wizard.question.wanInterface': 'Router’s internet-facing interface (tunnel source)',
	'wizard.hint.wanInterface':
		'ppp0 on the guide’s AR router; e.g. GigabitEthernet0/0 on Cisco, ge-0/0/0.0 on Juniper, eth0 on Linux.',
	'rule.router.interfaceName':
		'{path}: “{value}” is not an interface name: a letter, then up to 63 letters, digits, . / : _ or -.',
	// — least-privilege IAM policy (kakehashi policy)
	'policy.flowRequired': '--flow FLOW is required: one of {allowed}.',
	'policy.hint':
		'Save it (kakehashi policy --flow … --json > policy.json) and attach it as a managed policy: aws iam create-policy --policy-name {name} --policy-document file://policy.json, then aws iam attach-user-policy --user-name kakehashi --policy-arn arn:aws:iam::ACCOUNT-ID:policy/{name} (README: "Least-privilege IAM policy").',
	// — router configuration of the modes (journey: appliance VPN, multi-tenant, AWS VPN)
	'apply.configDeclined':
		'Router {router}: left as it is (you declined the change). Apply it later with apply, or by hand from kakehashi config.',
	'apply.configDiff': 'Router {router} lacks these lines of its configuration (+ to be added):',
	'apply.confirmPush': 'Configure router {router} with these lines?',
	'apply.configSaved': 'Router {router}: configuration saved to the startup configuration (write memory).',
	'apply.configNotSaved':
		'Router {router}: the configuration is running but not saved — a reboot (firmware upgrade, AWS maintenance, the appliance’s fail-safe) would lose the tunnels. Save it with `write memory` on the router, or run apply with --save-config.',
	'apply.configSaveFailed': 'Router {router} could not save its configuration (write memory): {error}',
	'apply.configMatches': 'Router {router}: already matches — nothing to do.',
	'apply.configPushUnsupported':
		'Router {router} ({vendor}): kakehashi pushes configurations to awplus routers only. Print this one with `kakehashi config --vendor {vendor} --answers FILE --for {router}` and apply it by hand.',
	'apply.vpnConnectionMissing':
		'Router {router}: the state file records no VPN connection, so there is no tunnel configuration to push yet. Run apply again once the VPN connection exists.',
	'apply.vpnNotAvailable':
		'The VPN connection {id} is not available (state {state}), so its tunnels cannot be configured. Check it in the AWS console, then run apply again.',
	// —— AMI import (image import command, image-steps destroy) ——
	'kind.s3-object': 'S3 object',
	'kind.snapshot': 'EBS snapshot',
	'kind.image': 'Machine image (AMI)',
	'kind.iam-role': 'IAM role',
	'image.phase.check': 'Checking {path}',
	'image.vhdType.fixed': 'fixed',
	'image.vhdType.dynamic': 'dynamic',
	'image.note.vhd': 'A {type} VHD, disk size {size} (made by “{creator}”).',
	'image.phase.bucket': 'S3 bucket {bucket}',
	'image.note.bucketCreated': 'Created the bucket {bucket}.',
	'image.note.bucketReused': 'Using the existing bucket {bucket}.',
	'image.phase.role': 'IAM role {role} (the VM Import service role)',
	'image.note.roleCreated':
		'Created the role {role}, trusted by vmie.amazonaws.com, allowed to read only the upload bucket.',
	'image.note.roleReused': 'Using the existing role {role} (it trusts vmie.amazonaws.com).',
	'image.phase.upload': 'Uploading the disk image to s3://{bucket}/{key}',
	'image.phase.uploadResume': 'Resuming the upload to s3://{bucket}/{key} ({parts} parts are already there)',
	'image.note.fileChanged':
		'A different file was being uploaded as {key}: that upload is aborted and this file starts from the beginning.',
	'image.phase.import': 'Converting the disk image to an EBS snapshot (ImportSnapshot)',
	'image.note.importTask': 'ImportTaskId={id}',
	'image.note.previousImportFailed':
		'The previous import task {id} ended without a snapshot ({reason}); starting a new one.',
	'image.note.roleNotReady':
		'IAM has not yet made the new role known to VM Import (this takes a few seconds); retrying (attempt {attempt}).',
	'image.note.snapshot': 'Snapshot created {id}',
	'image.phase.cleanup': 'Deleting the disk image from S3 (s3://{bucket}/{key})',
	'image.phase.register': 'Creating the AMI {name} (RegisterImage)',
	'image.phase.reuse': 'The image {name} ({id}) exists already (made by an earlier run): reusing it.',
	'image.note.available': 'AMI {id} ({name}) is available.',
	'image.progress.upload': '{percent}% ({loaded} / {total}) · {rate}/s · {eta} left',
	'image.progress.etaUnknown': '?',
	'image.progress.import': 'import {progress}% · {status}',
	'image.done':
		'AMI {imageId} ({name}) is ready: snapshot {snapshotId}, import task {importTaskId}, bucket {bucket}.',
	'image.reused': 'AMI {imageId} ({name}) was made by an earlier run: nothing was uploaded.',
	'image.instanceHint':
		'The instance step picks your newest image whose name starts with “vaa” on its own; for this one, set instance.ami: {imageId} in the answers.',
	'image.vhd.empty':
		'{path} is empty (0 bytes), not a VHD. Pass the vendor’s .vhd file (e.g. vaa-5.4.9-2.6.vhd).',
	'image.vhd.unreadable': 'Cannot read {path} ({code}). Check the path and its permissions.',
	'image.vhd.iso':
		'{path} is an ISO 9660 image, not a VHD: an ISO is a firmware release — use `kakehashi upgrade --iso {path}` for firmware. For the AMI, pass the vendor’s .vhd file.',
	'image.vhd.qcow2':
		'{path} is a QCOW2 image, not a VHD. Pass the vendor’s .vhd file, or convert it with `qemu-img convert -O vpc {path} disk.vhd`.',
	'image.vhd.vhdx':
		'{path} is a VHDX (Hyper-V) image, not a VHD. Pass the vendor’s .vhd file, or convert it with `qemu-img convert -O vpc {path} disk.vhd`.',
	'image.vhd.vmdk':
		'{path} is a VMDK (VMware) image, not a VHD. Pass the vendor’s .vhd file, or convert it with `qemu-img convert -O vpc {path} disk.vhd`.',
	'image.vhd.vdi':
		'{path} is a VirtualBox VDI image, not a VHD. Pass the vendor’s .vhd file, or convert it with `qemu-img convert -O vpc {path} disk.vhd`.',
	'image.vhd.archive': '{path} is a {format} archive, not a VHD: unpack it and pass the .vhd file inside.',
	'image.vhd.differencing':
		'{path} is a differencing VHD: it holds only the changes to a parent disk, which AWS cannot import. Pass the vendor’s full VHD.',
	'image.vhd.unsupportedType':
		'{path} has a VHD footer with disk type {diskType}; AWS imports only fixed (2) and dynamic (3) disks. Pass the vendor’s VHD.',
	'image.vhd.badChecksum':
		'{path} has a damaged VHD footer (checksum {found}, expected {expected}): the file is corrupted. Download it again.',
	'image.vhd.truncatedSize':
		'{path} is cut short or padded: its VHD footer says the file should be {expected} bytes, it is {actual}. Download it again.',
	'image.vhd.truncated':
		'{path} is cut short: it starts like a dynamic VHD but the footer at its end is missing (an interrupted download?). Download it again.',
	'image.vhd.headerMismatch':
		'{path} is damaged: the copy of the VHD footer at the start differs from the footer at the end. Download it again.',
	'image.vhd.noFooter':
		'{path} is not a VHD: there is no “conectix” footer in its last 512 bytes. Pass the vendor’s .vhd file (e.g. vaa-5.4.9-2.6.vhd).',
	'image.error.name':
		"--name: “{name}” is not a valid AMI name: 3–128 characters of letters, digits, spaces and ( ) [ ] . / - ' @ _ — e.g. vaa-5.4.9.",
	'image.error.bucketName.length': '--bucket: “{bucket}” must be 3–63 characters long.',
	'image.error.bucketName.characters':
		'--bucket: “{bucket}” may contain only lower-case letters, digits, dots and hyphens.',
	'image.error.bucketName.edges': '--bucket: “{bucket}” must begin and end with a letter or a digit.',
	'image.error.bucketName.adjacentDots': '--bucket: “{bucket}” must not contain two dots in a row.',
	'image.error.bucketName.ipAddress': '--bucket: “{bucket}” must not look like an IP address.',
	'image.error.bucketName.reservedPrefix':
		'--bucket: “{bucket}” starts with a prefix S3 reserves (xn--, sthree-, amzn-s3-demo-).',
	'image.error.bucketName.reservedSuffix':
		'--bucket: “{bucket}” ends with a suffix S3 reserves (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3).',
	'image.error.bucketTaken':
		'The S3 bucket name “{bucket}” belongs to another AWS account (bucket names are global). Pass --bucket {suggestion} (that name is available to you).',
	'image.error.bucketTakenNoSuggestion':
		'The S3 bucket name “{bucket}” belongs to another AWS account (bucket names are global). Pass --bucket with another name.',
	'image.error.bucketRegion':
		'The S3 bucket “{bucket}” is in {bucketRegion}, but the image is imported in {region}, and ImportSnapshot reads only a bucket in its own region. Pass --bucket with a bucket in {region} (or a new name).',
	'image.error.roleNotTrusted':
		'The IAM role “{role}” exists but does not trust vmie.amazonaws.com, so VM Import cannot use it. Add vmie.amazonaws.com (sts:AssumeRole, external id vmimport) to its trust policy, or delete the role and run again.',
	'image.error.nameTaken':
		'An image named “{name}” already exists ({imageId}) and was not made by kakehashi. Use it as instance.ami, or pass another --name.',
	'image.error.importFailed': 'The import task {id} failed: {message}',
	'image.hint.disk':
		'AWS could not read the disk: it is not a VHD the appliance ships, or it is damaged. Download the vendor’s VHD again and run again.',
	'image.hint.role':
		'VM Import could not use the vmimport role: check its trust policy (vmie.amazonaws.com) and that its policy allows reading the bucket, then run again.',
	'image.hint.s3':
		'VM Import could not read the uploaded object: check the bucket is in this region and the vmimport role may read it, then run again.',
	'image.hint.other':
		'Run again to start a new import task; if it fails the same way, the message above is AWS’s reason.',
	'image.error.imageFailed':
		'The image {id} did not become available: {reason}. Run again to register it again.',
	'image.error.stateRegion':
		'{path} records region {stateRegion}, not {region}. Pass --region {stateRegion}, or another --state for {region}.',
	'image.destroy.bucketKept': 'The bucket {bucket} was left: it holds other objects.',
	'image.destroy.bucketDeleted': 'Deleted the bucket {bucket} (kakehashi created it for the upload).',
	'image.destroy.policyKept':
		'The role {role} existed before kakehashi: kakehashi added the policy {policy} to it (reading only the upload bucket); destroy leaves the role and that policy.',
	// — appliance upkeep: kakehashi upgrade / kakehashi backup (issue 9)
	'upgrade.isoRequired': '--iso FILE is required: the release file (vaa-<version>.iso) to install.',
	'upgrade.isoMissing':
		'--iso: {file} does not exist or is not a file. Give the path of the release ISO you downloaded.',
	'upgrade.isoBad.vhd':
		'--iso: {file} is a VHD disk image, not a release. The VHD builds a new AMI: use `kakehashi image import --vhd {file}`. Upgrades take the ISO (vaa-<version>.iso).',
	'upgrade.isoBad.not-iso':
		'--iso: {file} is not an ISO 9660 image (no CD001 at offset 0x8001). Give the release ISO (vaa-<version>.iso) as downloaded; a truncated download fails this check too.',
	'upgrade.isoBad.name':
		'--iso: the file name of {file} cannot be stored in the appliance flash (1–64 letters, digits, . _ - only). Rename it, keeping the release name (vaa-<version>.iso).',
	'upgrade.needsRouter':
		'No appliance to upgrade: the state file records none. Give --router NAME, or --host H [--port P --user U --identity KEY].',
	'upgrade.unknownRouter': '--router: no router named {router} in the state file (known: {known}).',
	'upgrade.notAwplus':
		'--router: {router} is a {vendor} router; kakehashi upgrades AlliedWare Plus appliances (awplus) only.',
	'upgrade.connecting': 'Connecting to {router} ({host})…',
	'upgrade.current': '{router} runs {version}; installing {file}.',
	'upgrade.sameVersion': 'Note: {version} is already the running version; installing it again.',
	'upgrade.noSpace':
		'The release needs {need} but the flash of {router} has {free} free. Delete old release files (`dir`, then `delete FILE`) and run upgrade again.',
	'upgrade.progress': '{label} {percent}% {done}/{total} {rate} ETA {eta}',
	'upgrade.copying': 'Copying {file}',
	'upgrade.verifying': 'Verifying (reading back)',
	'upgrade.alreadyThere': '{file} is already in flash with the same SHA-256: not copied again.',
	'upgrade.copyFailed':
		'Copying {file} over SFTP failed: {message}. Nothing was installed; run upgrade again.',
	'upgrade.verifyFailed':
		'The copy of {file} does not match the local file (size {localSize} / {remoteSize}, SHA-256 {local}… / {remote}…). Nothing was installed; run upgrade again to copy it anew.',
	'upgrade.verified': '{file} copied and verified (SHA-256 {digest}…).',
	'upgrade.unsavedQuestion':
		'The running configuration has changes not saved to the startup configuration; the reboot would lose them. Save them now (write memory)?',
	'upgrade.saved': 'Running configuration saved (write memory).',
	'upgrade.saveFailed': 'Saving the running configuration failed: {output}',
	'upgrade.unsavedKept': 'Not saved: changes made since the last save will be lost by the reboot.',
	'upgrade.confirm':
		'Install {file} on {router} and reboot it now? Tunnels through it stop until it is back.',
	'upgrade.cancelled':
		'Cancelled: {file} is in flash and verified, nothing was installed. Run upgrade again with --yes, or install it by hand (software-upgrade {file}, then reboot).',
	'upgrade.installFailed': 'software-upgrade {file} failed: {output}',
	'upgrade.installed': 'Release {file} installed; it runs after the reboot.',
	'upgrade.rebooting': 'Rebooting {router}…',
	'upgrade.waiting': 'Waiting for {router} to answer SSH again… {seconds} s',
	'upgrade.notBack':
		'{router} did not answer SSH within {seconds} s after the reboot ({message}). Check the instance in the EC2 console (state, system log); if it comes back in fail-safe, see install-guide section 8.',
	'upgrade.versionMismatch':
		'{router} came back running {version}, not {expected}: the release in {file} was not started. Check `show system` and the boot settings on the appliance.',
	'upgrade.done': '{router} upgraded: {from} → {to}.',
	'backup.needsInstance':
		'No appliance instance to back up: the state file records none. Run apply first, or give --router NAME of an appliance the state file knows.',
	'backup.unknownRouter': '--router: no appliance named {router} in the state file (known: {known}).',
	'backup.creating': 'Creating image {name} of instance {instance}…',
	'backup.waiting': 'Image {imageId}: {state}…',
	'backup.failed':
		'The image {imageId} ended in state {state}{reason}. Delete it in the EC2 console (AMIs) and run backup again.',
	'backup.timeout':
		'The image {imageId} was not available within {seconds} s (state {state}). It is recorded in the state file; check it in the EC2 console (AMIs).',
	'backup.done': 'Backup image {imageId} ({name}) is available.',
	'backup.warning':
		'An instance launched from this image gets a new MAC address and a new IP address: register its virtual links and annual licences again.',
	// wizard "machine image" step and "my AMIs" (AMI import in the wizard)
	'wizard.step.image': 'Machine image',
	'wizard.help.image':
		'Optional, first install only: build the appliance’s AMI from the vendor’s VHD (install guide section 1). The instance step then launches it.',
	'wizard.image.ask': 'Import the appliance’s AMI from the vendor VHD now?',
	'wizard.image.has':
		'This account already has its own image {name} ({imageId}, {date}): the instance step can use it.',
	'wizard.image.none': 'This account has no image of its own named vaa* in {region} yet.',
	'wizard.image.looking': 'Looking for your own images…',
	'wizard.image.yes': 'Yes: import it now',
	'wizard.image.no': 'No: skip this step',
	'wizard.image.vhd': 'VHD file',
	'wizard.image.name': 'AMI name',
	'wizard.image.bucket': 'S3 bucket for the upload',
	'wizard.image.checking': 'Checking the file…',
	'wizard.image.vhdOk': '{path} (VHD, {size})',
	'wizard.image.required': 'Give the path of the vendor’s VHD file (e.g. vaa-5.4.9-2.6.vhd).',
	'wizard.image.running': 'ctrl+c stops the wizard; the next import resumes the upload where it stopped.',
	'wizard.image.failed': 'r: retry (it resumes where it stopped) · s: skip this step · esc: back',
	'wizard.image.next': 'enter: next step (the instance step offers this AMI)',
	'wizard.question.ami': 'AMI (my AMIs)',
	'wizard.ami.auto': 'Automatic: my newest image named vaa* (chosen at apply)',
	'wizard.ami.none':
		'This account has no image of its own in {region}: leave empty for automatic, or type an AMI id or name.',
	'wizard.ami.loading': 'Loading your images…',
	'wizard.ami.error': 'Your images could not be listed ({message}): type an AMI id or name, or leave empty.',
	'rule.instance.amiName':
		'{path}: "{value}" is neither an AMI id (like ami-0123456789abcdef0) nor an AMI name (3–128 letters, digits and ( ) [ ] space . / - \' @ _).',
	'flow.error.noImageNamed':
		'instance.ami: this account has no available image named “{name}” in {region}. Import it first (kakehashi image import), or set instance.ami to an AMI id or the exact name of one of your images.',
	// — the live panel's upgrade action (`u`, issue 9)
	'panel.hintKeys': '?:help /:find enter:open esc:back r:poll p:pause s:ssh e:export u:upgrade q:quit',
	'panel.help.upgrade': 'upgrade this AW+ appliance from a release ISO (copy, verify, install, reboot)',
	'panel.upgradeUnavailable': 'Upgrading is not available from this screen.',
	'panel.upgradeAwplusOnly':
		'{router} is a {vendor} router: upgrade is for AW+ appliances (AlliedWare Plus) only.',
	'panel.upgrade.title': 'Upgrade {router}',
	'panel.upgrade.pathIntro': 'The release file to install on {router} (vaa-<version>.iso, as downloaded).',
	'panel.upgrade.pathLabel': 'Release ISO',
	'panel.upgrade.pathHint': 'enter: check the file · esc: back to the panel (~ is your home directory)',
	'panel.upgrade.checking': 'Checking the file…',
	'panel.upgrade.bad.missing': '{file} does not exist or is not a file. Give the path of the release ISO.',
	'panel.upgrade.bad.vhd':
		'{file} is a VHD disk image, not a release: the VHD builds a new AMI (kakehashi image import). Give the release ISO (vaa-<version>.iso).',
	'panel.upgrade.bad.not-iso':
		'{file} is not an ISO 9660 image (no CD001 at offset 0x8001). Give the release ISO as downloaded; a truncated download fails this check too.',
	'panel.upgrade.bad.name':
		'The name of {file} cannot be stored in the appliance flash (1–64 letters, digits, . _ - only). Rename it, keeping the release name.',
	'panel.upgrade.reading': 'Connecting to {router} ({host}) and reading its version and configuration…',
	'panel.upgrade.confirmTitle': 'Install this release?',
	'panel.upgrade.confirmRouter': 'Router:  {router} ({host})',
	'panel.upgrade.confirmVersion': 'Running: {version}',
	'panel.upgrade.confirmFile': 'File:    {file} ({size})',
	'panel.upgrade.confirmUnsaved':
		'The running configuration has unsaved changes: they are saved first (write memory), or the reboot would lose them.',
	'panel.upgrade.confirmReboot':
		'{router} reboots after the install: its tunnels stop until it is back. Polling pauses meanwhile.',
	'panel.upgrade.confirmQuestion': 'Upgrade and reboot now? (y/N)',
	'panel.upgrade.runningTitle': 'Upgrading {router} to {file}',
	'panel.upgrade.step.copy': 'Copy',
	'panel.upgrade.step.verify': 'Verify (read back, SHA-256)',
	'panel.upgrade.step.install': 'Install (software-upgrade)',
	'panel.upgrade.step.reboot': 'Reboot',
	'panel.upgrade.step.wait': 'Wait for SSH',
	'panel.upgrade.step.check': 'Check the version',
	'panel.upgrade.runningHint': 'The upgrade runs to its end; the panel comes back after it.',
	'panel.upgrade.alreadyThere': 'The same file is already in flash (same SHA-256): not copied again.',
	'panel.upgrade.back': 'esc / enter: back to the panel',
} as const;

export type Catalog = Record<keyof typeof en, string>;
