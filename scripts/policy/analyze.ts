import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import {
	policyKey as documentPolicyKey,
	type GeneratedPolicies,
	type ImpliedPermission,
	type PolicyEntry,
} from '../../source/policy/document.js';
import {
	type CodeRef,
	commonRoots,
	featureRoots,
	type Gate,
	gates,
	impliedResources,
	notWalked,
	type PolicyFeature,
	type PolicyFlow,
	policyFeatures,
	policyFlows,
} from './config.js';
import { iamActionFor } from './iam-actions.js';

/**
 * The least-privilege policy of each flow, derived from the code that makes the AWS calls.
 *
 * How: the TypeScript compiler (type checker, so imports, re-exports and aliases resolve exactly as
 * tsc resolves them) builds a reference graph of the product's code:
 * - a node ("unit") is a function, method, arrow function, class, or module-level variable;
 * - a unit has an edge to every unit it mentions by name (a call, a callback passed along, a step
 *   object put in a list) and to every unit written inside it (a closure may be called);
 * - dispatch through data (the runner calling `step.create` on each entry of `networkSteps`) is
 *   covered because mentioning `networkSteps` reaches every step object and all its methods.
 * Walking it from the commands a flow's user runs (config.ts), every AWS call met is collected:
 * - `new XxxCommand(…)` of an `@aws-sdk/client-*` package (the only way our code sends requests);
 * - `waitUntilXxx(…)` / `paginateXxx(…)` of those packages: the command they send is read from the
 *   SDK's own implementation (dist-es/waiters, dist-es/pagination), not guessed from the name;
 * - any other `@aws-sdk` export used (e.g. lib-storage's `Upload`): the commands its implementation
 *   constructs;
 * - methods of an aggregated client (`ec2.describeVpcs(…)`), if ever used.
 * The walk is over-approximating on purpose (a branch not taken at run time still counts), except
 * where config.ts gates code to some flows: a flow's walk does not enter gated code that is not for
 * it. The sandbox test then checks both directions against what a real run sent.
 *
 * Permissions AWS checks beyond an operation's own action are added from the call's input:
 * `TagSpecifications` (tag on create) → ec2:CreateTags; ImportSnapshot/ImportImage → iam:PassRole on
 * the import role; CreateRole with `Tags` → iam:TagRole; S3 writes with `Tagging` → s3:PutObjectTagging.
 */

export type { GeneratedPolicies, ImpliedPermission, PolicyEntry };

export function policyKey(flow: PolicyFlow, features: readonly PolicyFeature[] = []): string {
	return documentPolicyKey(flow, features);
}

type Unit = {
	node: ts.Node;
	file: string;
	qname: string;
	/** Units written directly inside this one. */
	children: Unit[];
	/** Units this one mentions by name. */
	refs: Set<ts.Node>;
	calls: AwsCall[];
};

type AwsCall = {
	service: string;
	operation: string;
	/** Names of the properties the call's input has (for implied permissions). */
	inputProps: Set<string>;
	/** Literal string values of input properties, where known at compile time. */
	inputStrings: Map<string, string>;
};

const repoRoot = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

function isUnitNode(node: ts.Node): boolean {
	if (ts.isSourceFile(node)) return true;
	if (
		ts.isFunctionDeclaration(node) ||
		ts.isMethodDeclaration(node) ||
		ts.isArrowFunction(node) ||
		ts.isFunctionExpression(node) ||
		ts.isConstructorDeclaration(node) ||
		ts.isGetAccessorDeclaration(node) ||
		ts.isSetAccessorDeclaration(node) ||
		ts.isClassDeclaration(node) ||
		ts.isClassExpression(node)
	) {
		return true;
	}
	// module-level `const x = …` (a step object, a list of steps, a table of handlers)
	return ts.isVariableDeclaration(node) && isModuleLevel(node);
}

function isModuleLevel(declaration: ts.VariableDeclaration): boolean {
	const statement = declaration.parent?.parent;
	return statement !== undefined && ts.isVariableStatement(statement) && ts.isSourceFile(statement.parent);
}

function nameOf(node: ts.Node): string | undefined {
	if (
		(ts.isFunctionDeclaration(node) ||
			ts.isClassDeclaration(node) ||
			ts.isMethodDeclaration(node) ||
			ts.isGetAccessorDeclaration(node) ||
			ts.isSetAccessorDeclaration(node) ||
			ts.isVariableDeclaration(node) ||
			ts.isPropertyAssignment(node) ||
			ts.isPropertyDeclaration(node)) &&
		node.name &&
		(ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
	) {
		return node.name.text;
	}
	return undefined;
}

/** `monitorCommand.fetchTelemetry`: the names of the declarations around (and including) a node. */
function qualifiedName(node: ts.Node): string {
	const names: string[] = [];
	for (
		let current: ts.Node | undefined = node;
		current && !ts.isSourceFile(current);
		current = current.parent
	) {
		const name = nameOf(current);
		if (name) names.unshift(name);
	}
	return names.join('.');
}

function unwrap(expression: ts.Expression): ts.Expression {
	let current = expression;
	while (
		ts.isParenthesizedExpression(current) ||
		ts.isAsExpression(current) ||
		ts.isSatisfiesExpression(current) ||
		ts.isTypeAssertionExpression(current)
	) {
		current = current.expression;
	}
	return current;
}

type SdkExport = { pkg: string; name: string; declarationFile: string };

/** `@aws-sdk/client-ec2` etc. when a symbol is declared in an installed @aws-sdk package. */
function sdkExportOf(symbol: ts.Symbol): SdkExport | undefined {
	for (const declaration of symbol.declarations ?? []) {
		const file = declaration.getSourceFile().fileName;
		const match = /node_modules\/@aws-sdk\/([a-z0-9-]+)\//.exec(file.split(sep).join('/'));
		if (match?.[1]) return { pkg: match[1], name: symbol.getName(), declarationFile: file };
	}
	return undefined;
}

/** The implementation (dist-es) of a declaration file (dist-types) of an @aws-sdk package. */
function implementationOf(declarationFile: string): string | undefined {
	const candidate = declarationFile
		.replace(`${sep}dist-types${sep}`, `${sep}dist-es${sep}`)
		.replace(/\.d\.ts$/, '.js');
	return existsSync(candidate) ? candidate : undefined;
}

type LibraryCall = { service: string; operation: string; onlyWithInput?: string };

/**
 * Options of library helpers that decide whether they send a command: lib-storage's Upload sends
 * PutObjectTagging only when given `tags` (Upload.js: `if (this.tags.length) … PutObjectTaggingCommand`).
 */
const libraryCommandConditions: Record<string, Record<string, string>> = {
	'lib-storage/Upload': { PutObjectTagging: 'tags' },
};

/** The commands an @aws-sdk helper (waiter, paginator, lib-storage class) sends, read from its implementation. */
function commandsSentBy(sdk: SdkExport): LibraryCall[] {
	const client = /^client-(.+)$/.exec(sdk.pkg)?.[1];
	let implementation: string | undefined;
	if (client && /^waitUntil/.test(sdk.name)) {
		// waitUntilInstanceRunning lives in waiters/waitForInstanceRunning.js
		const file = join(
			dirname(sdk.declarationFile).replace(`${sep}dist-types${sep}`, `${sep}dist-es${sep}`),
			`${sdk.name.replace(/^waitUntil/, 'waitFor')}.js`,
		);
		implementation = existsSync(file) ? file : undefined;
	} else {
		implementation = implementationOf(sdk.declarationFile);
	}
	if (!implementation) {
		throw new Error(`cannot find the implementation of ${sdk.pkg} ${sdk.name} (${sdk.declarationFile})`);
	}
	const text = readFileSync(implementation, 'utf8');
	const service = client ?? /from\s+["']@aws-sdk\/client-([a-z0-9-]+)["']/.exec(text)?.[1];
	if (!service) throw new Error(`cannot tell which AWS service ${sdk.pkg} ${sdk.name} calls`);
	// waiters construct `new XCommand(`; paginators hand `XCommand` to createPaginator
	const pattern = /paginate/.test(sdk.name)
		? /createPaginator\(\s*\w+,\s*([A-Z]\w*)Command\b/g
		: /new\s+([A-Z]\w*)Command\(/g;
	const operations = new Set([...text.matchAll(pattern)].map((match) => match[1] as string));
	const conditions = libraryCommandConditions[`${sdk.pkg}/${sdk.name}`] ?? {};
	return [...operations].map((operation) => ({
		service,
		operation,
		...(conditions[operation] ? { onlyWithInput: conditions[operation] } : {}),
	}));
}

export type AnalyzeOptions = {
	/** Repository root (default: this checkout). */
	root?: string;
	commonRoots?: readonly CodeRef[];
	featureRoots?: Record<PolicyFeature, readonly CodeRef[]>;
	gates?: readonly Gate[];
	/** Debugging: how the walk of `key` reached the code behind each action (root first). */
	trace?: (key: string, action: string, path: string[]) => void;
};

export class PolicyConfigError extends Error {
	override name = 'PolicyConfigError';
}

/** Build the reference graph of the product and walk it once per flow (and flow + feature). */
export function analyzePolicies(options: AnalyzeOptions = {}): GeneratedPolicies {
	const root = options.root ?? repoRoot;
	const configFile = join(root, 'tsconfig.json');
	const parsed = ts.getParsedCommandLineOfConfigFile(
		configFile,
		{},
		{
			...ts.sys,
			onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
				throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
			},
		},
	);
	if (!parsed) throw new Error(`cannot read ${configFile}`);
	const productFiles = parsed.fileNames.filter((file) => {
		const rel = relative(root, file).split(sep).join('/');
		return rel.startsWith('source/') && !notWalked.some((prefix) => rel.startsWith(prefix));
	});
	const program = ts.createProgram(productFiles, { ...parsed.options, noEmit: true });
	const checker = program.getTypeChecker();

	const units = new Map<ts.Node, Unit>();
	const relFile = (file: string) => relative(root, file).split(sep).join('/');
	const walkedFile = (file: ts.SourceFile) => {
		const rel = relFile(file.fileName);
		return (
			!file.isDeclarationFile &&
			rel.startsWith('source/') &&
			!notWalked.some((prefix) => rel.startsWith(prefix))
		);
	};

	const resolveSymbol = (symbol: ts.Symbol | undefined): ts.Symbol | undefined => {
		if (!symbol) return undefined;
		return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
	};

	/** The unit a declaration stands for when code mentions it. */
	const unitOfDeclaration = (declaration: ts.Declaration): ts.Node | undefined => {
		if (!walkedFile(declaration.getSourceFile())) return undefined;
		if (isUnitNode(declaration)) return declaration;
		if (ts.isVariableDeclaration(declaration) && declaration.initializer) {
			const value = unwrap(declaration.initializer);
			if (isUnitNode(value)) return value;
		}
		if (ts.isPropertyAssignment(declaration) && isUnitNode(unwrap(declaration.initializer))) {
			return unwrap(declaration.initializer);
		}
		// Types, parameters, local data: no code of their own. A local object's methods are units inside
		// the function that builds it (reached with it); a type's members have no implementation.
		return undefined;
	};

	const inputOf = (argument: ts.Expression | undefined): Pick<AwsCall, 'inputProps' | 'inputStrings'> => {
		const inputProps = new Set<string>();
		const inputStrings = new Map<string, string>();
		if (!argument) return { inputProps, inputStrings };
		const value = unwrap(argument);
		const addTypeProps = (expression: ts.Expression) => {
			for (const property of checker.getTypeAtLocation(expression).getProperties()) {
				inputProps.add(property.getName());
			}
		};
		if (!ts.isObjectLiteralExpression(value)) {
			addTypeProps(value);
			return { inputProps, inputStrings };
		}
		for (const property of value.properties) {
			if (ts.isSpreadAssignment(property)) {
				addTypeProps(property.expression);
				continue;
			}
			const name = property.name && ts.isIdentifier(property.name) ? property.name.text : undefined;
			if (!name) continue;
			inputProps.add(name);
			if (ts.isPropertyAssignment(property)) {
				const type = checker.getTypeAtLocation(property.initializer);
				if (type.isStringLiteral()) inputStrings.set(name, type.value);
			}
		}
		return { inputProps, inputStrings };
	};

	const where = (node: ts.Node) => {
		const file = node.getSourceFile();
		const { line } = file.getLineAndCharacterOfPosition(node.getStart());
		return `${relFile(file.fileName)}:${line + 1}`;
	};

	/** An AWS call made at this expression, if it is one. */
	const awsCallsAt = (node: ts.Node): AwsCall[] => {
		if (!ts.isNewExpression(node) && !ts.isCallExpression(node)) return [];
		const callee = node.expression;
		const symbol = resolveSymbol(
			checker.getSymbolAtLocation(ts.isPropertyAccessExpression(callee) ? callee.name : callee),
		);
		if (!symbol) return [];
		const sdk = sdkExportOf(symbol);
		if (!sdk) return [];
		const client = /^client-(.+)$/.exec(sdk.pkg)?.[1];
		const input = inputOf(node.arguments?.[client && /^waitUntil/.test(sdk.name) ? 1 : 0]);
		if (ts.isNewExpression(node) && client && /Command$/.test(sdk.name)) {
			return [{ service: client, operation: sdk.name.replace(/Command$/, ''), ...input }];
		}
		if (ts.isNewExpression(node) && client && /Client$/.test(sdk.name)) return []; // a client sends nothing by itself
		if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(callee) && client) {
			// aggregated client (`new EC2(…).describeVpcs(…)`): the method is the operation
			// (a method of `interface EC2` in dist-types/EC2.d.ts; not EC2Client's `send`, `config.region()`, …)
			const aggregated = symbol.declarations?.some((declaration) => {
				const owner = declaration.parent;
				const base = /([A-Za-z0-9]+)\.d\.ts$/.exec(declaration.getSourceFile().fileName)?.[1];
				return (
					ts.isMethodSignature(declaration) &&
					ts.isInterfaceDeclaration(owner) &&
					owner.name.text === base &&
					!/Client$/.test(base)
				);
			});
			if (aggregated) {
				const operation = sdk.name.charAt(0).toUpperCase() + sdk.name.slice(1);
				return [{ service: client, operation, ...input }];
			}
			return [];
		}
		if (client && !/^(waitUntil|paginate)/.test(sdk.name)) return []; // helpers, types, error classes
		// a library object's methods (`upload.done()`): its construction already counted what it sends
		if (!client && ts.isCallExpression(node) && ts.isPropertyAccessExpression(callee)) return [];
		if (!client && !ts.isNewExpression(node) && sdk.pkg !== 'lib-storage') return [];
		if (sdk.pkg === 'credential-providers') return [];
		return commandsSentBy(sdk)
			.filter((call) => !call.onlyWithInput || input.inputProps.has(call.onlyWithInput))
			.map((call) => ({ service: call.service, operation: call.operation, ...input }));
	};

	/**
	 * A command class used as a value other than `new X(…)` (kept in a table, handed to a helper that
	 * constructs it): it may be sent, so it counts, without input (so without implied permissions).
	 */
	const commandMentionedAt = (node: ts.Node): AwsCall[] => {
		if (!ts.isIdentifier(node) || !/Command$/.test(node.text)) return [];
		const parent = node.parent;
		if (ts.isNewExpression(parent) && parent.expression === node) return []; // counted with its input
		if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent)) return [];
		for (let at: ts.Node | undefined = parent; at && !ts.isSourceFile(at); at = at.parent) {
			if (ts.isTypeNode(at) || ts.isImportDeclaration(at)) return []; // a type, not a value
		}
		const symbol = resolveSymbol(checker.getSymbolAtLocation(node));
		const sdk = symbol ? sdkExportOf(symbol) : undefined;
		const client = sdk ? /^client-(.+)$/.exec(sdk.pkg)?.[1] : undefined;
		if (!sdk || !client || !(symbol && symbol.flags & ts.SymbolFlags.Class)) return [];
		return [
			{
				service: client,
				operation: sdk.name.replace(/Command$/, ''),
				inputProps: new Set(),
				inputStrings: new Map(),
			},
		];
	};

	// 1. units, their children, their references and their AWS calls
	for (const file of program.getSourceFiles()) {
		if (!walkedFile(file)) continue;
		const fileUnit = (node: ts.Node): Unit => {
			let unit = units.get(node);
			if (!unit) {
				unit = {
					node,
					file: relFile(file.fileName),
					qname: ts.isSourceFile(node) ? '' : qualifiedName(node),
					children: [],
					refs: new Set(),
					calls: [],
				};
				units.set(node, unit);
			}
			return unit;
		};
		const visit = (node: ts.Node, owner: Unit) => {
			let current = owner;
			if (node !== owner.node && isUnitNode(node)) {
				current = fileUnit(node);
				owner.children.push(current);
			}
			if (ts.isIdentifier(node) && !isDeclarationName(node)) {
				const symbol = resolveSymbol(checker.getSymbolAtLocation(node));
				for (const declaration of symbol?.declarations ?? []) {
					const target = unitOfDeclaration(declaration);
					if (target && target !== current.node) current.refs.add(target);
				}
			}
			for (const call of [...awsCallsAt(node), ...commandMentionedAt(node)]) {
				current.calls.push(call);
				iamActionFor(call.service, call.operation, where(node)); // fail early on an unknown operation
			}
			ts.forEachChild(node, (child) => visit(child, current));
		};
		visit(file, fileUnit(file));
	}

	// 2. code references of config.ts → units
	const unitsOf = (ref: CodeRef, what: string): Unit[] => {
		const [file, qname] = ref.split('#') as [string, string | undefined];
		const found = [...units.values()].filter(
			(unit) =>
				unit.file === file &&
				(qname === undefined || unit.qname === qname || unit.qname.startsWith(`${qname}.`)),
		);
		if (found.length === 0) {
			throw new PolicyConfigError(`${what} ${ref} names no code (scripts/policy/config.ts is out of date)`);
		}
		return found;
	};
	const gateList = (options.gates ?? gates).map((gate) => ({
		gate,
		nodes: new Set(unitsOf(gate.code, 'gate').map((unit) => unit.node)),
	}));
	const common = options.commonRoots ?? commonRoots;
	const byFeature = options.featureRoots ?? featureRoots;

	const walk = (flow: PolicyFlow, features: readonly PolicyFeature[]): PolicyEntry => {
		const closed = new Set<ts.Node>();
		for (const { gate, nodes } of gateList) {
			const open =
				(gate.flows === undefined || gate.flows.includes(flow)) &&
				(gate.feature === undefined || features.includes(gate.feature));
			if (!open) for (const node of nodes) closed.add(node);
		}
		const roots = [...common, ...features.flatMap((feature) => byFeature[feature])];
		const seen = new Set<ts.Node>();
		const parent = new Map<ts.Node, Unit>();
		const nameUnit = (unit: Unit) => (unit.qname ? `${unit.file}#${unit.qname}` : unit.file);
		const pathTo = (unit: Unit) => {
			const path: string[] = [];
			for (let at: Unit | undefined = unit; at; at = parent.get(at.node)) path.unshift(nameUnit(at));
			return path;
		};
		const queue: Unit[] = roots
			.flatMap((ref) => unitsOf(ref, 'root'))
			.filter((unit) => !closed.has(unit.node));
		const entry: PolicyEntry = { calls: {}, implied: {} };
		while (queue.length > 0) {
			const unit = queue.pop() as Unit;
			if (seen.has(unit.node)) continue;
			seen.add(unit.node);
			const source = unit.qname ? `${unit.file}#${unit.qname}` : unit.file;
			for (const call of unit.calls) {
				const action = iamActionFor(call.service, call.operation, source);
				if (action && !entry.calls[action]) options.trace?.(policyKey(flow, features), action, pathTo(unit));
				if (action) {
					const sources = entry.calls[action] ?? [];
					entry.calls[action] = sources;
					addSource(sources, source);
				}
				for (const found of impliedBy(call)) {
					const narrowed = found.resource === '*' ? impliedResources[found.action]?.resource : undefined;
					const implied = narrowed
						? {
								...found,
								resource: narrowed,
								reason: `${found.reason}; ${impliedResources[found.action]?.why ?? ''}`,
							}
						: found;
					const known = entry.implied[implied.action] ?? {
						reason: implied.reason,
						resource: implied.resource,
						sources: [],
					};
					entry.implied[implied.action] = known;
					if (known.resource !== implied.resource) known.resource = '*';
					addSource(known.sources, source);
				}
			}
			for (const next of [...unit.children.map((child) => child.node), ...unit.refs]) {
				const target = units.get(next);
				if (target && !seen.has(next) && !closed.has(next)) {
					if (!parent.has(next)) parent.set(next, unit);
					queue.push(target);
				}
			}
		}
		return sortEntry(entry);
	};

	const result: GeneratedPolicies = {};
	for (const flow of policyFlows) {
		result[policyKey(flow)] = walk(flow, []);
		for (const feature of policyFeatures) result[policyKey(flow, [feature])] = walk(flow, [feature]);
	}
	return result;
}

function isDeclarationName(node: ts.Identifier): boolean {
	const parent = node.parent;
	return (
		parent !== undefined &&
		'name' in parent &&
		(parent as { name?: ts.Node }).name === node &&
		!ts.isPropertyAccessExpression(parent) &&
		!ts.isShorthandPropertyAssignment(parent)
	);
}

function addSource(list: string[], source: string): void {
	if (!list.includes(source)) list.push(source);
}

type Implied = { action: string; reason: string; resource: string };

/** Permissions AWS checks for a call besides the call's own action, from the call's input. */
export function impliedBy(
	call: Pick<AwsCall, 'service' | 'operation' | 'inputProps' | 'inputStrings'>,
): Implied[] {
	const implied: Implied[] = [];
	if (call.service === 'ec2' && call.inputProps.has('TagSpecifications')) {
		implied.push({
			action: 'ec2:CreateTags',
			reason: 'tags given at creation (TagSpecifications) are authorised as ec2:CreateTags',
			resource: '*',
		});
	}
	if (call.service === 'ec2' && (call.operation === 'ImportSnapshot' || call.operation === 'ImportImage')) {
		const role = call.inputProps.has('RoleName') ? call.inputStrings.get('RoleName') : 'vmimport';
		implied.push({
			action: 'iam:PassRole',
			reason: `${call.operation} hands ${role ? `the role ${role}` : 'the role its RoleName names'} to VM Import (vmie.amazonaws.com)`,
			resource: role ? `arn:aws:iam::*:role/${role}` : '*',
		});
	}
	if (call.service === 'iam' && call.operation === 'CreateRole' && call.inputProps.has('Tags')) {
		implied.push({
			action: 'iam:TagRole',
			reason: 'a role created with Tags needs iam:TagRole',
			resource: '*',
		});
	}
	if (
		call.service === 's3' &&
		['PutObject', 'CreateMultipartUpload'].includes(call.operation) &&
		call.inputProps.has('Tagging')
	) {
		implied.push({
			action: 's3:PutObjectTagging',
			reason: 'an object written with Tagging needs s3:PutObjectTagging',
			resource: '*',
		});
	}
	return implied;
}

function sortEntry(entry: PolicyEntry): PolicyEntry {
	const calls: PolicyEntry['calls'] = {};
	for (const action of Object.keys(entry.calls).sort()) calls[action] = (entry.calls[action] ?? []).sort();
	const implied: PolicyEntry['implied'] = {};
	for (const action of Object.keys(entry.implied).sort()) {
		const item = entry.implied[action] as ImpliedPermission;
		implied[action] = { ...item, sources: [...item.sources].sort() };
	}
	return { calls, implied };
}
