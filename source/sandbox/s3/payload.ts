import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { S3Error } from './errors.js';
import { chunkSignature, type S3Signature } from './sigv4.js';

/**
 * The body of an S3 request as the object's bytes, checked as S3 checks them while they stream in:
 * - a hex `x-amz-content-sha256`: the body's SHA-256 must match (XAmzContentSHA256Mismatch);
 * - `STREAMING-…`: the body is aws-chunked (`<hex size>[;chunk-signature=…]\r\n<data>\r\n…0…\r\n`
 *   then trailers); signed chunks are verified one by one against the seed signature's chain,
 *   `x-amz-decoded-content-length` must match, and a trailing `x-amz-checksum-*` is verified;
 * - `Content-MD5` and `x-amz-checksum-*` headers are verified too (BadDigest).
 */

const MAX_CHUNK_HEADER = 4096;

export type PayloadHeaders = {
	get(name: string): string | undefined;
};

/** The checksum algorithms a body can be checked with here (CRC32C and CRC64NVME are accepted unchecked). */
class Checksum {
	readonly header: string;
	#crc = 0;
	#hash: Hash | undefined;
	readonly #kind: 'crc32' | 'sha1' | 'sha256' | 'unchecked';

	constructor(header: string) {
		this.header = header;
		const algorithm = header.slice('x-amz-checksum-'.length);
		this.#kind =
			algorithm === 'crc32' || algorithm === 'sha1' || algorithm === 'sha256' ? algorithm : 'unchecked';
		if (this.#kind === 'sha1' || this.#kind === 'sha256') this.#hash = createHash(this.#kind);
	}

	update(piece: Buffer): void {
		if (this.#kind === 'crc32') this.#crc = crc32(piece, this.#crc);
		else this.#hash?.update(piece);
	}

	/** Base64, as the header carries it; undefined for algorithms not checked. */
	digest(): string | undefined {
		if (this.#kind === 'crc32') {
			const bytes = Buffer.alloc(4);
			bytes.writeUInt32BE(this.#crc >>> 0);
			return bytes.toString('base64');
		}
		return this.#hash?.digest('base64');
	}
}

/** Checksums a decoded body carried, by header name (`x-amz-checksum-crc32` → base64 value). */
export type PayloadResult = { checksums: Record<string, string> };

/**
 * Yields the decoded body; returns the checksums it carried once the whole body was read and checked.
 * Throws S3Error for anything malformed or not matching.
 */
export async function* decodePayload(
	source: AsyncIterable<Buffer>,
	headers: PayloadHeaders,
	auth: S3Signature,
): AsyncGenerator<Buffer, PayloadResult> {
	const mode = auth.payloadHash;
	const contentMd5 = headers.get('content-md5');
	const md5 = contentMd5 ? createHash('md5') : undefined;
	const headerChecksums = [...checksumHeaderNames(headers)].map((name) => new Checksum(name));
	const trailerName = headers.get('x-amz-trailer')?.toLowerCase();
	const trailerChecksum = trailerName?.startsWith('x-amz-checksum-') ? new Checksum(trailerName) : undefined;
	const sha256 = /^[0-9a-f]{64}$/.test(mode) ? createHash('sha256') : undefined;
	const checksums: Record<string, string> = {};
	let size = 0;
	const observe = (piece: Buffer) => {
		size += piece.length;
		md5?.update(piece);
		sha256?.update(piece);
		for (const checksum of headerChecksums) checksum.update(piece);
		trailerChecksum?.update(piece);
	};

	let trailers: Map<string, string> = new Map();
	if (mode.startsWith('STREAMING-')) {
		if (
			!/\baws-chunked\b/.test(headers.get('content-encoding') ?? '') &&
			headers.get('x-amz-decoded-content-length') === undefined
		) {
			throw new S3Error(
				'InvalidRequest',
				`A ${mode} payload must be sent with Content-Encoding: aws-chunked.`,
			);
		}
		const decoder = new ChunkedDecoder(mode.includes('HMAC-SHA256') ? auth : undefined);
		for await (const input of source) {
			for (const piece of decoder.push(input)) {
				observe(piece);
				yield piece;
			}
		}
		trailers = decoder.end();
		const declared = headers.get('x-amz-decoded-content-length');
		if (declared !== undefined && Number(declared) !== size) {
			throw new S3Error(
				'IncompleteBody',
				'You did not provide the number of bytes specified by the Content-Length HTTP header',
			);
		}
	} else {
		for await (const input of source) {
			observe(input);
			yield input;
		}
		const declared = headers.get('content-length');
		if (declared !== undefined && Number(declared) !== size) {
			throw new S3Error(
				'IncompleteBody',
				'You did not provide the number of bytes specified by the Content-Length HTTP header',
			);
		}
	}

	if (sha256) {
		const computed = sha256.digest('hex');
		if (computed !== mode) {
			throw new S3Error(
				'XAmzContentSHA256Mismatch',
				"The provided 'x-amz-content-sha256' header does not match what was computed.",
				400,
				{ ClientComputedContentSHA256: mode, S3ComputedContentSHA256: computed },
			);
		}
	}
	if (md5 && contentMd5 !== undefined) {
		const computed = md5.digest('base64');
		if (computed !== contentMd5) {
			throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400, {
				ExpectedDigest: contentMd5,
				CalculatedDigest: computed,
			});
		}
	}
	for (const checksum of headerChecksums) {
		const sent = headers.get(checksum.header) as string;
		verifyChecksum(checksum, sent);
		checksums[checksum.header] = sent;
	}
	if (trailerName) {
		const sent = trailers.get(trailerName);
		if (sent === undefined) {
			throw new S3Error(
				'MalformedTrailerError',
				'The request contained trailing data that was not well-formed or did not conform to our published schema.',
			);
		}
		if (trailerChecksum) {
			verifyChecksum(trailerChecksum, sent);
			checksums[trailerName] = sent;
		}
	}
	return { checksums };
}

function verifyChecksum(checksum: Checksum, sent: string): void {
	const computed = checksum.digest();
	if (computed !== undefined && computed !== sent) {
		const algorithm = checksum.header.slice('x-amz-checksum-'.length).toUpperCase();
		throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
	}
}

function* checksumHeaderNames(headers: PayloadHeaders): Generator<string> {
	for (const algorithm of ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256']) {
		if (headers.get(`x-amz-checksum-${algorithm}`) !== undefined) yield `x-amz-checksum-${algorithm}`;
	}
}

/** An incremental aws-chunked decoder (push raw bytes, get data pieces; then end() for the trailers). */
export class ChunkedDecoder {
	readonly #auth: S3Signature | undefined;
	#previousSignature: string;
	#pending: Buffer = Buffer.alloc(0);
	#state: 'header' | 'data' | 'crlf' | 'trailer' | 'done' = 'header';
	#remaining = 0;
	#chunkSignature = '';
	#chunkPieces: Buffer[] = [];
	readonly #trailers = new Map<string, string>();

	/** With `auth`, every chunk must carry a valid `chunk-signature`. */
	constructor(auth: S3Signature | undefined) {
		this.#auth = auth;
		this.#previousSignature = auth?.signature ?? '';
	}

	push(input: Buffer): Buffer[] {
		const out: Buffer[] = [];
		const buffer = this.#pending.length > 0 ? Buffer.concat([this.#pending, input]) : input;
		let position = 0;
		while (position < buffer.length) {
			if (this.#state === 'data') {
				const take = Math.min(this.#remaining, buffer.length - position);
				const piece = buffer.subarray(position, position + take);
				if (this.#auth) this.#chunkPieces.push(piece);
				out.push(piece);
				this.#remaining -= take;
				position += take;
				if (this.#remaining === 0) this.#state = 'crlf';
				continue;
			}
			if (this.#state === 'crlf') {
				if (buffer.length - position < 2) break;
				if (buffer[position] !== 0x0d || buffer[position + 1] !== 0x0a) throw incompleteChunk();
				position += 2;
				this.#verifyChunk();
				this.#state = 'header';
				continue;
			}
			if (this.#state === 'done') {
				throw incompleteChunk();
			}
			const lineEnd = buffer.indexOf('\r\n', position, 'latin1');
			if (lineEnd === -1) {
				if (buffer.length - position > MAX_CHUNK_HEADER) throw incompleteChunk();
				break;
			}
			const line = buffer.toString('latin1', position, lineEnd);
			position = lineEnd + 2;
			if (this.#state === 'header') {
				this.#readChunkHeader(line);
			} else if (line === '') {
				this.#state = 'done';
			} else {
				const colon = line.indexOf(':');
				if (colon <= 0) throw incompleteChunk();
				this.#trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
			}
		}
		this.#pending = position < buffer.length ? Buffer.from(buffer.subarray(position)) : Buffer.alloc(0);
		return out;
	}

	/** The trailers; throws unless the body ended exactly after its last chunk (and trailers). */
	end(): Map<string, string> {
		// Without trailers the body may end right after the final chunk's CRLF.
		if (this.#state === 'trailer' && this.#pending.length === 0 && this.#trailers.size === 0) {
			this.#state = 'done';
		}
		if (this.#state !== 'done' || this.#pending.length > 0) throw incompleteChunk();
		return this.#trailers;
	}

	#readChunkHeader(line: string): void {
		const [sizeText, ...extensions] = line.split(';');
		if (!sizeText || !/^[0-9a-fA-F]{1,16}$/.test(sizeText.trim())) throw incompleteChunk();
		const size = Number.parseInt(sizeText.trim(), 16);
		const signature = extensions
			.map((extension) => extension.trim())
			.find((extension) => extension.startsWith('chunk-signature='))
			?.slice('chunk-signature='.length);
		if (this.#auth && !signature) {
			throw new S3Error('IncompleteSignature', 'The chunk is missing its chunk-signature.', 403);
		}
		this.#chunkSignature = signature ?? '';
		this.#chunkPieces = [];
		if (size === 0) {
			this.#verifyChunk();
			this.#state = 'trailer';
			return;
		}
		this.#remaining = size;
		this.#state = 'data';
	}

	#verifyChunk(): void {
		if (!this.#auth) return;
		const data = Buffer.concat(this.#chunkPieces);
		this.#chunkPieces = [];
		const expected = chunkSignature(this.#auth, this.#previousSignature, data);
		if (expected !== this.#chunkSignature) {
			throw new S3Error(
				'SignatureDoesNotMatch',
				'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
				403,
			);
		}
		this.#previousSignature = expected;
	}
}

function incompleteChunk(): S3Error {
	return new S3Error(
		'IncompleteBody',
		'The request body is not valid aws-chunked encoding: a chunk is cut short or its size line is malformed.',
	);
}
