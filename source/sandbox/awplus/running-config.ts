/**
 * The simulated router's running configuration: an ordered tree of AW+ configuration lines, where a
 * line such as `interface tunnel0` or `router bgp 65000` holds the lines entered in its mode. Reads and
 * prints the indented text form `show running-config` uses (and the kakehashi config generators emit).
 */

export type ConfigNode = { line: string; children: ConfigNode[] };

/** Lines that open a configuration mode, and the mode name the prompt shows. */
const MODE_OPENERS: { pattern: RegExp; mode: string }[] = [
	{ pattern: /^interface \S+$/, mode: 'config-if' },
	{ pattern: /^router (?:bgp|ospf|rip)\b/, mode: 'config-router' },
	{ pattern: /^address-family \S+/, mode: 'config-router-af' },
	{ pattern: /^crypto isakmp profile \S+$/, mode: 'config-isakmp-profile' },
	{ pattern: /^crypto ipsec profile \S+$/, mode: 'config-ipsec-profile' },
	{ pattern: /^line (?:con|vty)\b/, mode: 'config-line' },
];

export function modeOpenedBy(line: string): string | undefined {
	return MODE_OPENERS.find(({ pattern }) => pattern.test(line))?.mode;
}

/**
 * Lines with the same key replace each other (one `tunnel destination` per interface, one key per
 * ISAKMP peer address…); everything else is keyed by the whole line, so re-entering it changes nothing.
 */
function settingKey(line: string): string {
	const single =
		/^(hostname|tunnel (?:source|destination|local name|remote name|local id|remote id|mode|protection ipsec)|mtu|description|bgp router-id|ip tcp adjust-mss|version|lifetime|pfs|dpd-interval|dpd-timeout)\b/.exec(
			line,
		);
	if (single) return single[1]!;
	if (/^ip address \S+$/.test(line)) return 'ip address';
	const isakmpKey = /^crypto isakmp key \S+ (address|hostname) (\S+)$/.exec(line);
	if (isakmpKey) return `crypto isakmp key ${isakmpKey[1]} ${isakmpKey[2]}`;
	const neighbor = /^neighbor (\S+) (remote-as|description|update-source|ebgp-multihop|timers)\b/.exec(line);
	if (neighbor) return `neighbor ${neighbor[1]} ${neighbor[2]}`;
	const transform = /^transform (\d+)\b/.exec(line);
	if (transform) return `transform ${transform[1]}`;
	return line;
}

/** Top-level order of `show running-config`, roughly as AW+ prints it. */
function rankOf(line: string): number {
	const ranks: [RegExp, number][] = [
		[/^service\b/, 0],
		[/^hostname\b/, 1],
		[/^(?:username|enable)\b/, 2],
		[/^crypto isakmp profile\b/, 3],
		[/^crypto ipsec profile\b/, 4],
		[/^crypto\b/, 5],
		[/^interface\b/, 6],
		[/^router\b/, 7],
		[/^ip(?:v6)? route\b/, 8],
		[/^line\b/, 10],
	];
	return ranks.find(([pattern]) => pattern.test(line))?.[1] ?? 9;
}

export class RunningConfig {
	readonly nodes: ConfigNode[] = [];

	/** Reads indented configuration text; `!`, `end` and blank lines are ignored. */
	static parse(text: string | readonly string[]): RunningConfig {
		const config = new RunningConfig();
		const lines = typeof text === 'string' ? text.split(/\r?\n/) : text;
		const stack: { indent: number; node: ConfigNode }[] = [];
		for (const raw of lines) {
			const trimmed = raw.trim();
			if (trimmed === '' || trimmed === '!' || trimmed === 'end' || trimmed.startsWith('!')) continue;
			if (/^exit(?:-address-family)?$/.test(trimmed)) {
				stack.pop();
				continue;
			}
			const indent = raw.length - raw.trimStart().length;
			while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
			const path = stack.map((entry) => entry.node.line);
			const node = config.set(path, trimmed.replace(/\s+/g, ' '));
			if (node) stack.push({ indent, node });
		}
		return config;
	}

	clone(): RunningConfig {
		const copy = new RunningConfig();
		const cloneNode = (node: ConfigNode): ConfigNode => ({
			line: node.line,
			children: node.children.map(cloneNode),
		});
		copy.nodes.push(...this.nodes.map(cloneNode));
		return copy;
	}

	/** The children at a mode path such as `['router bgp 65000', 'address-family ipv4 unicast']`. */
	childrenAt(path: readonly string[]): ConfigNode[] | undefined {
		let children = this.nodes;
		for (const line of path) {
			const node = children.find((candidate) => candidate.line === line);
			if (!node) return undefined;
			children = node.children;
		}
		return children;
	}

	/**
	 * Sets a line in the mode at `path` (creating the path's blocks). Returns the node when the line
	 * opens a mode, so the caller can enter it.
	 */
	set(path: readonly string[], line: string): ConfigNode | undefined {
		let children = this.nodes;
		for (const parent of path) {
			let node = children.find((candidate) => candidate.line === parent);
			if (!node) {
				node = { line: parent, children: [] };
				children.push(node);
			}
			children = node.children;
		}
		if (modeOpenedBy(line)) {
			const existing = children.find((candidate) => candidate.line === line);
			if (existing) return existing;
			const node = { line, children: [] };
			children.push(node);
			return node;
		}
		const key = settingKey(line);
		const index = children.findIndex(
			(candidate) => !modeOpenedBy(candidate.line) && settingKey(candidate.line) === key,
		);
		if (index >= 0) children[index] = { line, children: [] };
		else children.push({ line, children: [] });
		return undefined;
	}

	/** `no …`: removes the lines at `path` equal to `line` or starting with it as whole words. */
	remove(path: readonly string[], line: string): number {
		const children = this.childrenAt(path);
		if (!children) return 0;
		const before = children.length;
		const keep = children.filter((node) => node.line !== line && !node.line.startsWith(`${line} `));
		children.splice(0, children.length, ...keep);
		return before - keep.length;
	}

	/** The text `show running-config` prints (without the final `end`). */
	render(): string[] {
		const out: string[] = ['!'];
		const renderNode = (node: ConfigNode, depth: number) => {
			out.push(`${' '.repeat(depth)}${node.line}`);
			for (const child of node.children) renderNode(child, depth + 1);
			if (modeOpenedBy(node.line) === 'config-router-af') out.push(`${' '.repeat(depth)}exit-address-family`);
		};
		const ordered = [...this.nodes].sort((a, b) => rankOf(a.line) - rankOf(b.line));
		let previousRank: number | undefined;
		for (const node of ordered) {
			const block = modeOpenedBy(node.line) !== undefined;
			const rank = rankOf(node.line);
			if ((block || rank !== previousRank) && out[out.length - 1] !== '!') out.push('!');
			renderNode(node, 0);
			if (block) out.push('!');
			previousRank = rank;
		}
		if (out[out.length - 1] !== '!') out.push('!');
		return out;
	}
}
