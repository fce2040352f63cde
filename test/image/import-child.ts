/**
 * An image import the kill-and-resume test runs in a child process (node --import tsx), so that it
 * can be SIGKILLed mid-upload. Arguments: endpoint, VHD file, AMI name, state file. Prints one JSON
 * line per uploaded part and phase on stdout (the parent times its kill on them).
 */
import { createEc2Client } from '../../source/aws/client.js';
import { clientsBeside } from '../../source/aws/service-clients.js';
import { importImage } from '../../source/flow/image-import.js';
import { SANDBOX_CREDENTIALS } from '../../source/sandbox/ec2/index.js';

const [endpoint, vhdPath, name, statePath] = process.argv.slice(2);
if (!endpoint || !vhdPath || !name || !statePath) {
	process.stderr.write('usage: import-child.ts ENDPOINT FILE.vhd NAME STATE.json\n');
	process.exit(2);
}
const region = 'ap-northeast-1';
const ec2 = createEc2Client({ region, endpoint, credentials: SANDBOX_CREDENTIALS });
const { s3, iam } = await clientsBeside(ec2);
const result = await importImage({
	clients: { ec2, s3, iam },
	vhdPath,
	name,
	region,
	account: '123456789012',
	statePath,
	stack: 'kill-test',
	endpoint,
	timings: { intervalMs: 20, timeoutMs: 60_000 },
	// one part at a time, so a kill after N parts leaves exactly the parts S3 accepted
	upload: { concurrency: 1, partSize: 8 * 1024 * 1024 },
	onEvent: (event) => {
		if (event.type === 'upload-part') process.stdout.write(`${JSON.stringify({ part: event.part })}\n`);
		if (event.type === 'phase') process.stdout.write(`${JSON.stringify({ phase: event.phase })}\n`);
		if (event.type === 'note') process.stdout.write(`${JSON.stringify({ note: event.message.key })}\n`);
	},
});
process.stdout.write(`${JSON.stringify({ done: true, imageId: result.imageId })}\n`);
