/**
 * Prompt patterns, anchored to the end of the buffered output (the session tests them after ANSI
 * stripping). The Cisco-style host part is ansible_awplus's / netmiko's: `Router>`, `R1#`,
 * `R1(config-if)#`, `ix2215(config)#`.
 */
export const CISCO_STYLE_PROMPT = /(?:^|[\r\n])[\w+\-.:/[\]]+(?:\([^)]+\)){0,3}[>#] ?$/;
export const CISCO_STYLE_PRIVILEGED_PROMPT = /(?:^|[\r\n])[\w+\-.:/[\]]+(?:\([^)]+\)){0,3}# ?$/;
/** Cisco / AW+ / NEC `--More--` (also as ` --More-- ` or `<--- More --->`). */
export const MORE_PROMPT = /-{2,}\s*More\s*-{2,}/i;
