import { randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { handleIam, renderIamError } from '../iam/service.js';
import { newIamState } from '../iam/state.js';
import { BlobStore } from '../s3/blobs.js';
import { S3Service } from '../s3/service.js';
import { scopeOf } from '../s3/sigv4.js';
import { newS3State, referencedBlobs, segmentsOf } from '../s3/state.js';
import { isEnabledRegion, regionFacts } from './catalog.js';
import type { Timings } from './context.js';
import { Ec2Service, type ServiceResponse } from './ec2-service.js';
import { Ec2Error } from './errors.js';
import { FaultInjector, type FaultOptions } from './faults.js';
import { InstanceTransitionWatcher } from './lifecycle.js';
import { loadState, saveState } from './persistence.js';
import { QueryParams } from './query.js';
import { SeededRandom } from './random.js';
import { SANDBOX_CREDENTIALS, verifySigV4 } from './sigv4.js';
import { DEFAULT_ACCOUNT_ID, newSandboxState, type SandboxState } from './state.js';
import { createStoreView, type Ec2SandboxStore, type SandboxChange } from './store-view.js';
import { handleSts, renderStsError, scopeServiceOf } from './sts-service.js';

export type Ec2SandboxOptions = {
	/** 0 (the default) picks a free port. */
	port?: number;
	/** A loopback address only: `127.0.0.1` (default), `::1`, `localhost` or another 127.x.y.z. */
	host?: string;
	/** Twelve digits; defaults to the one in the state file, else 123456789012. */
	accountId?: string;
	timings?: Partial<Timings>;
	faults?: FaultOptions;
	/** Load the store from this file at start and save it (atomically, mode 0600) after every change. */
	stateFile?: string;
	/** Seeds resource IDs and fault injection, for reproducible runs. */
	seed?: number;
	/**
	 * Folder for S3 object and part bodies (created 0700). Default: `s3-objects` beside `stateFile`,
	 * else a temporary folder removed by close().
	 */
	objectDir?: string;
};

/**
 * A non-AWS document the whole sandbox serves beside the API (GET only, unsigned): how tools find
 * the simulated routers behind a sandbox endpoint. Never part of the EC2 API.
 */
export type SandboxDocument = { path: string; body: (query?: URLSearchParams) => unknown };

export type Ec2Sandbox = {
	/** `http://127.0.0.1:PORT`: pass it to the SDK as `endpoint`. */
	endpoint: string;
	port: number;
	store: Ec2SandboxStore;
	/** Replaces the faults in force. */
	setFaults(faults: FaultOptions): void;
	/**
	 * Every action the sandbox handled, in the order first seen (for least-privilege checks). EC2
	 * actions are their bare Query API names (`DescribeVpcs`, `ImportSnapshot`); the other services'
	 * are the IAM action that authorised the call, prefixed with the service (`s3:PutObject` for
	 * PutObject and every multipart step, `s3:ListBucket` for ListObjectsV2 and HeadBucket,
	 * `iam:CreateRole`…). Prefix the EC2 ones with `ec2:` to get their IAM action.
	 */
	actionsSeen(): string[];
	/** Serve a JSON document at a path outside the API (see SandboxDocument). */
	setDocument(document: SandboxDocument): void;
	close(): Promise<void>;
};

export const DEFAULT_TIMINGS: Timings = {
	instanceRunningMs: 3000,
	instanceTerminatedMs: 3000,
	consoleOutputMs: 5000,
	importSnapshotMs: 8000,
	imageAvailableMs: 4000,
};

const MAX_BODY_BYTES = 1024 * 1024;

/** A response in the protocol of one AWS service the sandbox serves on its single endpoint. */
type SandboxService = {
	isValidRegion(region: string): boolean;
	handle(
		params: QueryParams,
		region: string,
		requestId: string,
		accessKeyId: string,
	): Promise<ServiceResponse>;
	errorResponse(error: Ec2Error, requestId: string): ServiceResponse;
};

function loopbackHost(host: string): string {
	if (host === 'localhost') {
		return '127.0.0.1';
	}
	if (host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
		return host;
	}
	throw new Error(
		`The EC2 sandbox listens on a loopback address only (127.0.0.1, ::1 or localhost), not '${host}'.`,
	);
}

/**
 * Starts the built-in EC2-compatible endpoint: the EC2 Query API over HTTP on loopback, with real
 * SigV4 verification (credentials: SANDBOX_CREDENTIALS), a stateful store, simulated instance
 * lifecycles, fault injection and optional persistence.
 */
export async function startEc2Sandbox(options: Ec2SandboxOptions = {}): Promise<Ec2Sandbox> {
	const host = loopbackHost(options.host ?? '127.0.0.1');
	if (options.accountId !== undefined && !/^\d{12}$/.test(options.accountId)) {
		throw new Error(`accountId must be twelve digits, not '${options.accountId}'.`);
	}
	const timings: Timings = { ...DEFAULT_TIMINGS, ...options.timings };
	const stored = options.stateFile ? loadState(options.stateFile) : undefined;
	const state: SandboxState =
		stored ?? newSandboxState(options.accountId ?? DEFAULT_ACCOUNT_ID, options.seed ?? randomInt(2 ** 31));
	if (options.accountId !== undefined) {
		state.accountId = options.accountId;
	}
	state.s3 ??= newS3State();
	state.iam ??= newIamState();
	const random = new SeededRandom(state.randomState);
	const faults = new FaultInjector(options.seed ?? 0x6b616b65, options.faults);
	const now = () => Date.now();
	const listeners = new Set<(change: SandboxChange) => void>();
	const emit = (change: SandboxChange) => {
		for (const listener of listeners) {
			listener(change);
		}
	};
	const watcher = new InstanceTransitionWatcher(() => state, now, emit);
	const sleepers = new Set<() => void>();
	let closed = false;
	const seen = new Set<string>();
	const record = (action: string) => {
		seen.add(action);
	};
	const persist = () => {
		if (options.stateFile) {
			saveState(options.stateFile, state);
		}
	};
	const objectDir =
		options.objectDir ?? (options.stateFile ? join(dirname(options.stateFile), 's3-objects') : undefined);
	const blobs = objectDir
		? new BlobStore(objectDir)
		: new BlobStore(join(tmpdir(), `kakehashi-s3-${process.pid}-${randomUUID()}`), { temporary: true });
	blobs.sweep(referencedBlobs(state.s3));

	const sleep = (ms: number) =>
		new Promise<void>((resolve) => {
			const wake = () => {
				clearTimeout(timer);
				sleepers.delete(wake);
				resolve();
			};
			const timer = setTimeout(wake, ms);
			sleepers.add(wake);
		});

	const ec2 = new Ec2Service({
		state: () => state,
		random: () => random,
		timings,
		faults,
		now,
		sleep,
		record,
		services: {
			s3: () => {
				state.s3 ??= newS3State();
				return state.s3;
			},
			iam: () => {
				state.iam ??= newIamState();
				return state.iam;
			},
			objectBytes: (object, position, length) => blobs.readBytes(segmentsOf(object), position, length),
		},
		onMutation(action, region) {
			state.randomState = random.state;
			if (options.stateFile) {
				saveState(options.stateFile, state);
			}
			emit({ type: 'action', region, action });
			watcher.refresh();
		},
	});

	// One endpoint serves every service, as LocalStack does: the credential scope names the service.
	const services: Record<string, SandboxService> = {
		ec2: {
			isValidRegion: (region) => regionFacts(region) !== undefined,
			handle: (params, region, requestId) => {
				if (!isEnabledRegion(region)) {
					throw new Ec2Error(
						'AuthFailure',
						'AWS was not able to validate the provided access credentials',
						401,
					);
				}
				return ec2.handle(params, region, requestId);
			},
			errorResponse: (error, requestId) => ec2.errorResponse(error, requestId),
		},
		sts: {
			// STS is global: any region AWS knows signs for it.
			isValidRegion: (region) => regionFacts(region) !== undefined,
			handle: async (params, _region, requestId, accessKeyId) =>
				handleSts(params, { accountId: state.accountId, accessKeyId }, requestId),
			errorResponse: renderStsError,
		},
		iam: {
			// IAM is global: like STS, any region AWS knows signs for it (real IAM wants us-east-1).
			isValidRegion: (region) => regionFacts(region) !== undefined,
			handle: async (params, region, requestId) => {
				const action = params.string('Action') ?? '';
				if (faults.latencyMs > 0) await sleep(faults.latencyMs);
				const fault = faults.faultFor(action);
				if (fault) {
					record(`iam:${action}`);
					throw fault.code === 'RequestLimitExceeded'
						? new Ec2Error('Throttling', 'Rate exceeded', 400)
						: fault;
				}
				const response = handleIam(
					params,
					{
						state: () => {
							state.iam ??= newIamState();
							return state.iam;
						},
						accountId: () => state.accountId,
						now,
						onMutation: () => {
							persist();
							emit({ type: 'action', region, action: `iam:${params.string('Action') ?? ''}` });
						},
						record,
					},
					requestId,
				);
				return response;
			},
			errorResponse: renderIamError,
		},
	};
	const s3 = new S3Service({
		state: () => {
			state.s3 ??= newS3State();
			return state.s3;
		},
		accountId: () => state.accountId,
		blobs,
		secretFor: (accessKeyId) => secrets.get(accessKeyId),
		now,
		isValidRegion: (region) => regionFacts(region) !== undefined,
		onMutation: persist,
		record,
		fault: async (operation) => {
			if (faults.latencyMs > 0) await sleep(faults.latencyMs);
			const fault = faults.faultFor(operation);
			// S3 words throttling its own way.
			return fault?.code === 'RequestLimitExceeded'
				? { code: 'SlowDown', message: 'Please reduce your request rate.', status: 503 }
				: fault;
		},
	});
	const secrets = new Map([[SANDBOX_CREDENTIALS.accessKeyId, SANDBOX_CREDENTIALS.secretAccessKey]]);

	async function respond(
		request: IncomingMessage,
		body: Buffer,
		requestId: string,
	): Promise<ServiceResponse> {
		// Errors found before the signature is verified are still worded in the protocol of the service asked.
		const asked = scopeServiceOf(request.headers.authorization) ?? 'ec2';
		const fallback = (Object.hasOwn(services, asked) ? services[asked] : services.ec2) as SandboxService;
		try {
			const verified = verifySigV4(
				{ method: request.method ?? 'GET', url: request.url ?? '/', rawHeaders: request.rawHeaders, body },
				(accessKeyId) => secrets.get(accessKeyId),
				now(),
			);
			const service = Object.hasOwn(services, verified.service) ? services[verified.service] : undefined;
			if (!service) {
				throw new Ec2Error(
					'SignatureDoesNotMatch',
					`Credential should be scoped to correct service: '${Object.keys(services).join("' or '")}'.`,
					403,
				);
			}
			if (!service.isValidRegion(verified.region)) {
				throw new Ec2Error('SignatureDoesNotMatch', 'Credential should be scoped to a valid region. ', 403);
			}
			try {
				return await service.handle(
					requestParams(request, body),
					verified.region,
					requestId,
					verified.accessKeyId,
				);
			} catch (error) {
				if (error instanceof Ec2Error) {
					return service.errorResponse(error, requestId);
				}
				throw error;
			}
		} catch (error) {
			if (error instanceof Ec2Error) {
				return fallback.errorResponse(error, requestId);
			}
			throw error;
		}
	}

	const documents = new Map<string, SandboxDocument>();
	const server = createServer((request, response) => {
		const document =
			request.method === 'GET' ? documents.get((request.url ?? '/').split('?')[0] ?? '/') : undefined;
		if (document) {
			const query = new URL(request.url ?? '/', 'http://sandbox').searchParams;
			Promise.resolve()
				.then(() => document.body(query))
				.then((body) => {
					const json = JSON.stringify(body);
					response.writeHead(200, {
						'Content-Type': 'application/json',
						'Content-Length': Buffer.byteLength(json),
					});
					response.end(json);
				})
				.catch(() => response.writeHead(500).end());
			return;
		}
		if (isS3Request(request)) {
			if (closed) {
				response.destroy();
				return;
			}
			s3.handle(request, response).catch(() => response.destroy());
			return;
		}
		readBody(request)
			.then(async (body) => {
				if (closed) {
					response.destroy();
					return;
				}
				const requestId = randomUUID();
				const { status, body: xml } = await respond(request, body, requestId);
				send(response, status, xml, requestId);
			})
			.catch((error: unknown) => {
				const message = error instanceof Error ? error.message : String(error);
				const status = error instanceof BodyTooLargeError ? 413 : 500;
				const requestId = randomUUID();
				const code = status === 413 ? 'RequestEntityTooLarge' : 'InternalError';
				send(
					response,
					status,
					(services.ec2 as SandboxService).errorResponse(new Ec2Error(code, message, status), requestId).body,
					requestId,
				);
			});
	});
	const sockets = new Set<Socket>();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	watcher.refresh();

	return {
		endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
		port,
		store: createStoreView(
			() => state,
			now,
			(listener) => {
				listeners.add(listener);
				return () => listeners.delete(listener);
			},
			// VPN telemetry set by the simulated routers survives a restart like any other change.
			() => {
				if (options.stateFile) saveState(options.stateFile, state);
			},
		),
		setFaults: (next) => faults.set(next),
		actionsSeen: () => [...seen],
		setDocument: (document) => {
			documents.set(document.path, document);
		},
		async close() {
			if (closed) {
				return;
			}
			closed = true;
			watcher.stop();
			for (const wake of [...sleepers]) {
				wake();
			}
			listeners.clear();
			const done = new Promise<void>((resolve) => server.close(() => resolve()));
			for (const socket of sockets) {
				socket.destroy();
			}
			await done;
			blobs.dispose();
		},
	};
}

/**
 * S3 requests go to the streaming S3 handler instead of the Query-protocol body reader: those whose
 * credential scope names `s3`, and unsigned ones that cannot be Query API calls (a path other than
 * `/`, or PUT/HEAD/DELETE), so that they are refused in S3's words.
 */
function isS3Request(request: IncomingMessage): boolean {
	const authorization = request.headers.authorization;
	if (authorization) {
		return scopeOf(authorization)?.service === 's3';
	}
	const url = request.url ?? '/';
	if (/[?&]X-Amz-Credential=[^&]*%2Fs3%2F/i.test(url)) {
		return true;
	}
	const path = url.split('?')[0] ?? '/';
	return path !== '/' || ['PUT', 'HEAD', 'DELETE'].includes(request.method ?? 'GET');
}

class BodyTooLargeError extends Error {}

function readBody(request: IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		request.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > MAX_BODY_BYTES) {
				reject(new BodyTooLargeError(`The request body is larger than ${MAX_BODY_BYTES} bytes.`));
				request.destroy();
				return;
			}
			chunks.push(chunk);
		});
		request.on('end', () => resolve(Buffer.concat(chunks)));
		request.on('error', reject);
	});
}

/** The Query parameters: from the query string (GET) and the form-encoded body (POST). */
function requestParams(request: IncomingMessage, body: Buffer): QueryParams {
	const url = new URL(request.url ?? '/', 'http://sandbox.invalid');
	const entries: [string, string][] = [...url.searchParams.entries()];
	const contentType = request.headers['content-type'] ?? '';
	if (
		body.length > 0 &&
		(contentType === '' || contentType.startsWith('application/x-www-form-urlencoded'))
	) {
		entries.push(...new URLSearchParams(body.toString('utf8')).entries());
	}
	return QueryParams.fromEntries(entries);
}

function send(response: ServerResponse, status: number, xml: string, requestId: string): void {
	if (response.destroyed || response.headersSent) {
		return;
	}
	response.writeHead(status, {
		'Content-Type': 'text/xml;charset=UTF-8',
		'Content-Length': Buffer.byteLength(xml),
		'x-amzn-RequestId': requestId,
		Server: 'AmazonEC2',
	});
	response.end(xml);
}
