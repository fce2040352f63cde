/**
 * A small seeded PRNG (mulberry32). Its whole state is one 32-bit integer, so the store can persist it
 * and IDs stay unique across restarts of an embedded sandbox.
 */
export class SeededRandom {
	#state: number;

	constructor(seed: number) {
		this.#state = seed >>> 0;
	}

	/** The value to persist and to resume from. */
	get state(): number {
		return this.#state;
	}

	/** A float in [0, 1). */
	next(): number {
		this.#state = (this.#state + 0x6d2b79f5) >>> 0;
		let t = this.#state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	}

	/** `length` lower-case hexadecimal digits. */
	hex(length: number): string {
		let out = '';
		while (out.length < length) {
			out += Math.floor(this.next() * 16).toString(16);
		}
		return out;
	}

	/** An integer in [0, bound). */
	below(bound: number): number {
		return Math.floor(this.next() * bound);
	}
}
