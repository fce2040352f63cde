import type { ActionContext, ActionTable } from '../context.js';
import { Ec2Error, invalidParameterValue, missingParameter } from '../errors.js';
import { applyFilters, parseFilters } from '../filters.js';
import { newId, resourceKinds } from '../ids.js';
import { createKeyPairMaterial, importPublicKey, type KeyType } from '../key-material.js';
import type { KeyPairRecord } from '../state.js';
import { renderTags, tagsFromSpecifications } from '../tags.js';
import { xmlList, xmlTime } from '../xml.js';

function keyName(context: ActionContext): string {
	const name = context.params.required('KeyName');
	if (name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
		throw invalidParameterValue(
			`Value (${name}) for parameter keyName is invalid. Key names are up to 255 ASCII characters.`,
		);
	}
	return name;
}

function findByName(context: ActionContext, name: string): KeyPairRecord | undefined {
	return Object.values(context.region.keyPairs).find((pair) => pair.name === name);
}

function assertNameFree(context: ActionContext, name: string): void {
	if (findByName(context, name)) {
		throw new Ec2Error('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);
	}
}

export const keyPairActions: ActionTable = {
	async CreateKeyPair(context) {
		const name = keyName(context);
		const type = context.params.string('KeyType') ?? 'rsa';
		if (type !== 'rsa' && type !== 'ed25519') {
			throw invalidParameterValue(`Invalid value '${type}' for keyType. Valid values are rsa and ed25519.`);
		}
		const format = context.params.string('KeyFormat') ?? 'pem';
		if (format === 'ppk') {
			throw invalidParameterValue('The kakehashi sandbox hands out keys in pem format only (KeyFormat=pem).');
		}
		if (format !== 'pem') {
			throw invalidParameterValue(`Invalid value '${format}' for keyFormat. Valid values are pem and ppk.`);
		}
		const tags = tagsFromSpecifications(context, ['key-pair']).get('key-pair') ?? [];
		assertNameFree(context, name);
		const material = await createKeyPairMaterial(type as KeyType, name);
		// Generation is asynchronous: another request may have taken the name meanwhile.
		assertNameFree(context, name);
		const record: KeyPairRecord = {
			id: newId('key', context.random),
			name,
			type: material.type,
			fingerprint: material.fingerprint,
			publicKey: material.publicKey,
			createdAt: context.now,
			tags,
		};
		context.region.keyPairs[record.id] = record;
		return {
			keyName: record.name,
			keyFingerprint: record.fingerprint,
			keyMaterial: material.privateKey,
			keyPairId: record.id,
			tagSet: renderTags(record.tags),
		};
	},

	ImportKeyPair(context) {
		const name = keyName(context);
		const encoded = context.params.required('PublicKeyMaterial');
		const material = importPublicKey(Buffer.from(encoded, 'base64').toString('utf8'));
		const tags = tagsFromSpecifications(context, ['key-pair']).get('key-pair') ?? [];
		assertNameFree(context, name);
		const record: KeyPairRecord = {
			id: newId('key', context.random),
			name,
			type: material.type,
			fingerprint: material.fingerprint,
			publicKey: material.publicKey,
			createdAt: context.now,
			tags,
		};
		context.region.keyPairs[record.id] = record;
		return {
			keyFingerprint: record.fingerprint,
			keyName: record.name,
			keyPairId: record.id,
			tagSet: renderTags(record.tags),
		};
	},

	DescribeKeyPairs(context) {
		const names = context.params.list('KeyName');
		const ids = context.params.list('KeyPairId');
		const all = Object.values(context.region.keyPairs);
		for (const name of names) {
			if (!all.some((pair) => pair.name === name)) {
				throw resourceKinds.keyPair.notFound(name);
			}
		}
		for (const id of ids) {
			if (!all.some((pair) => pair.id === id)) {
				throw resourceKinds.keyPair.notFound(id);
			}
		}
		const selected =
			names.length === 0 && ids.length === 0
				? all
				: all.filter((pair) => names.includes(pair.name) || ids.includes(pair.id));
		const includePublicKey = context.params.boolean('IncludePublicKey') ?? false;
		const pairs = applyFilters(
			selected,
			parseFilters(context.params),
			{
				'key-pair-id': (pair) => pair.id,
				'key-name': (pair) => pair.name,
				fingerprint: (pair) => pair.fingerprint,
				'key-type': (pair) => pair.type,
			},
			(pair) => pair.tags,
		);
		return {
			keySet: xmlList(pairs, (pair) => ({
				keyPairId: pair.id,
				keyType: pair.type,
				keyName: pair.name,
				keyFingerprint: pair.fingerprint,
				createTime: xmlTime(pair.createdAt),
				publicKey: includePublicKey ? pair.publicKey : undefined,
				tagSet: renderTags(pair.tags),
			})),
		};
	},

	DeleteKeyPair(context) {
		const id = context.params.string('KeyPairId');
		const name = context.params.string('KeyName');
		if (id === undefined && name === undefined) {
			throw missingParameter('KeyName');
		}
		let record: KeyPairRecord | undefined;
		if (id !== undefined) {
			record = context.region.keyPairs[id];
			if (!record) {
				throw resourceKinds.keyPair.notFound(id);
			}
		} else if (name !== undefined) {
			// As on AWS, deleting a key pair by a name that does not exist succeeds.
			record = findByName(context, name);
		}
		if (record) {
			delete context.region.keyPairs[record.id];
		}
		return { return: true, keyPairId: record?.id };
	},
};
