import type { ParseResult } from './model.js';

/** One show command a driver polls, and the pure parser for its output. */
export type DriverCommand = {
	/** A stable key, e.g. `ike`, `ipsec`, `bgp`. */
	key: string;
	/** The exact command line sent to the router, e.g. `show isakmp sa`. */
	command: string;
	/** Needs privileged (enable) mode. */
	privileged?: boolean;
	parse: (output: string) => ParseResult;
};

/** The facts about one vendor's CLI the SSH session needs, and what to poll. */
export type RouterDriver = {
	vendor: string;
	/** Matches a prompt at the end of the buffered output (after ANSI stripping), e.g. `awplus>` / `awplus#`. */
	prompt: RegExp;
	/** Matches a privileged prompt. */
	privilegedPrompt?: RegExp;
	/** Command that enters privileged mode (e.g. `enable`), if the vendor has one. */
	enable?: string;
	/** Commands that switch paging off, sent once after login (and after enable). */
	pagingOff: string[];
	/** Matches a pager prompt such as `--More--`: the session answers with a space. */
	more?: RegExp;
	commands: DriverCommand[];
};
