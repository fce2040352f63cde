import { XMLBuilder } from 'fast-xml-parser';

/** The namespace every EC2 Query response carries. */
export const EC2_XML_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export type XmlScalar = string | number | boolean | undefined;
export type XmlNode = XmlScalar | XmlObject | XmlNode[];
export type XmlObject = { [element: string]: XmlNode };

const builder = new XMLBuilder({
	ignoreAttributes: false,
	attributeNamePrefix: '@_',
	suppressEmptyNode: true,
	format: false,
});

/** An EC2 list: members as `<item>`; an empty list renders as an empty element, as AWS does. */
export function xmlList<T>(items: readonly T[], render: (item: T) => XmlNode): XmlNode {
	return items.length === 0 ? '' : { item: items.map(render) };
}

/** A timestamp as EC2 writes it: ISO 8601 with milliseconds, UTC. */
export function xmlTime(epochMs: number): string {
	return new Date(epochMs).toISOString();
}

/** `<ActionResponse xmlns=…><requestId>…</requestId>…</ActionResponse>`. */
export function renderEc2Response(action: string, requestId: string, body: XmlObject): string {
	return builder.build({
		'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
		[`${action}Response`]: { '@_xmlns': EC2_XML_NAMESPACE, requestId, ...body },
	});
}

/** The error document EC2 answers with (note `RequestID`, spelled as EC2 spells it). */
export function renderEc2Error(code: string, message: string, requestId: string): string {
	return builder.build({
		'?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
		Response: { Errors: { Error: { Code: code, Message: message } }, RequestID: requestId },
	});
}
