/**
 * Pure readers for the AW+ commands of an appliance's upkeep (upgrade, backup, fail-safe detection):
 * `show system` (release, uptime, boot config), `show version`, `dir`, `show file systems`, and the
 * fail-safe rule of install-guide section 8 (the appliance rebooted with the default configuration and
 * kept the old one as `default_backup.cfg`).
 *
 * Layouts: `show system` follows the verbatim ntc-templates AW+ sample (SH210: `Uptime : N days
 * HH:MM:SS`, `Software version : X`); `dir` and `show file systems` are reconstructed from AW+ manuals'
 * examples — parsing is by tokens, not columns.
 */

export type ShowSystem = {
	version?: string;
	/** `Current software : vaa-5.4.9-2.6.iso`. */
	release?: string;
	uptimeSeconds?: number;
	bootConfig?: string;
};

export function parseShowSystem(output: string): ShowSystem {
	const result: ShowSystem = {};
	for (const raw of output.split(/\r?\n/)) {
		const line = raw.trim();
		const field = /^([A-Za-z][A-Za-z ]*?)\s*:\s*(.*)$/.exec(line);
		if (!field) continue;
		const key = field[1]!.toLowerCase();
		const value = field[2]!.trim();
		if (key === 'software version' && value) result.version = value;
		else if (key === 'current software' && value) result.release = value;
		else if (key === 'current boot config' && value) result.bootConfig = value;
		else if (key === 'uptime') {
			const uptime = parseUptime(value);
			if (uptime !== undefined) result.uptimeSeconds = uptime;
		}
	}
	return result;
}

/** `0 days 00:11:33`, `12 days 03:04:05`, `1 day 00:00:01` → seconds. */
export function parseUptime(text: string): number | undefined {
	const match = /^(?:(\d+)\s+days?\s+)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(text.trim());
	if (!match) return undefined;
	return Number(match[1] ?? 0) * 86_400 + Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4]);
}

/** `AlliedWare Plus (TM) 5.4.9-2.6 01/08/24 10:31:20` → `5.4.9-2.6`. */
export function parseShowVersion(output: string): string | undefined {
	return /AlliedWare Plus \(TM\)\s+(\S+)/.exec(output)?.[1];
}

export type DirEntry = { name: string; size: number; modified?: Date };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `dir`: `  630 -rw- Oct 14 2014 03:06:09  flash:/default.cfg` per file (times read as UTC). */
export function parseDir(output: string): DirEntry[] {
	const entries: DirEntry[] = [];
	for (const line of output.split(/\r?\n/)) {
		const match =
			/^\s*(\d+)\s+[-drwx]{4,10}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s+(\S+)\s*$/.exec(
				line,
			);
		if (!match) continue;
		const month = MONTHS.indexOf(match[2]!.toLowerCase());
		const name = match[8]!.replace(/^flash:\/?/i, '');
		if (name.endsWith('/')) continue;
		const modified =
			month < 0
				? undefined
				: new Date(
						Date.UTC(
							Number(match[4]),
							month,
							Number(match[3]),
							Number(match[5]),
							Number(match[6]),
							Number(match[7]),
						),
					);
		entries.push({ name, size: Number(match[1]), ...(modified ? { modified } : {}) });
	}
	return entries;
}

/** `7.3G`, `512.0M`, `28K`, `1048576` → bytes. */
function sizeOf(text: string): number | undefined {
	const match = /^(\d+(?:\.\d+)?)([KMGT]?)B?$/i.exec(text);
	if (!match) return undefined;
	const power = ['', 'K', 'M', 'G', 'T'].indexOf(match[2]!.toUpperCase());
	return Math.floor(Number(match[1]) * 1024 ** power);
}

/** `show file systems`: the free bytes of `flash:`, when the table has such a row. */
export function parseFlashFree(output: string): number | undefined {
	for (const line of output.split(/\r?\n/)) {
		const tokens = line.trim().split(/\s+/);
		if (!tokens.some((token) => /^flash:$/i.test(token))) continue;
		const free = tokens[1] === undefined ? undefined : sizeOf(tokens[1]);
		if (free !== undefined) return free;
	}
	return undefined;
}

/** The tunnel interfaces of a configuration text (`interface tunnel0` …). */
export function tunnelInterfaces(config: string): string[] {
	return [...config.matchAll(/^interface (tunnel\S*)\s*$/gim)].map((match) => match[1]!.toLowerCase());
}

/** `tunnel destination` addresses of a configuration text. */
export function tunnelDestinations(config: string): string[] {
	return [...config.matchAll(/^\s+tunnel destination (\S+)\s*$/gim)].map((match) => match[1]!);
}

export type ConfigResetInput = {
	/** When the appliance booted: the poll time minus its uptime. */
	bootedAt: Date;
	/** `default_backup.cfg` in flash, if any. */
	backup?: DirEntry;
	/** `show running-config` after the reboot. */
	runningConfig: string;
	/** What the running configuration held before (the state file's pushed tunnels, or a capture). */
	expected?: { tunnelDestinations?: readonly string[]; hadTunnels?: boolean };
};

/** How long before the boot the fail-safe may have written `default_backup.cfg` (its own reboot). */
const BACKUP_BEFORE_BOOT_MS = 15 * 60_000;

/**
 * Install-guide 8: the fail-safe reboots with the default configuration and keeps the old one as
 * `default_backup.cfg`. Reported when a backup written around this boot exists and the tunnels the
 * appliance should hold are gone (or, knowing nothing of them, none is configured at all).
 */
export function configResetDetected(input: ConfigResetInput): boolean {
	const { backup, runningConfig, expected } = input;
	const written = backup?.modified?.getTime();
	const fresh = written !== undefined && written >= input.bootedAt.getTime() - BACKUP_BEFORE_BOOT_MS;
	const destinations = tunnelDestinations(runningConfig);
	const lostExpected =
		expected?.tunnelDestinations !== undefined && expected.tunnelDestinations.length > 0
			? expected.tunnelDestinations.some((address) => !destinations.includes(address))
			: undefined;
	const noTunnels = tunnelInterfaces(runningConfig).length === 0;
	const lost = lostExpected ?? (expected?.hadTunnels === false ? false : noTunnels);
	// an older backup is a fail-safe already dealt with (restored and rebooted since)
	return fresh && lost;
}

/** ISO 9660 (a release file): `CD001` at 0x8001. */
export function isIso9660(head: Buffer): boolean {
	return head.length >= 0x8006 && head.subarray(0x8001, 0x8006).toString('latin1') === 'CD001';
}

/** A VHD (the image import's file, not a release): `conectix` at the start of its 512-byte footer. */
export function isVhdFooter(footer: Buffer): boolean {
	return footer.length >= 8 && footer.subarray(0, 8).toString('latin1') === 'conectix';
}
