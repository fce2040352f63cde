import type { InstanceRecord } from './state.js';

/**
 * What the serial console of an AMF Cloud appliance shows while it boots, close enough to
 * AlliedWare Plus for tools (and people) that look for the login prompt.
 */
export function applianceBootLog(instance: InstanceRecord, imageName: string, bootedAt: number): string {
	const version = /(\d+\.\d+\.\d+)/.exec(imageName)?.[1] ?? '5.4.9';
	const stamp = new Date(bootedAt).toUTCString();
	return [
		'Booting from Hard Disk...',
		'',
		`Linux version 5.10.0-awplus (build@awplus) #1 SMP ${stamp}`,
		'Command line: root=/dev/xvda1 console=ttyS0,115200 quiet',
		`BIOS-provided physical RAM map: instance ${instance.id} (${instance.instanceType})`,
		'',
		'Bootloader 7.0.x loaded',
		`Verifying release... vaa-${version}.iso OK`,
		'Booting...',
		'Starting base/first...                                  [  OK  ]',
		'Mounting virtual filesystems...                         [  OK  ]',
		'',
		'   ______________     ____',
		'  /\\ \\ \\ \\ \\ \\ \\ \\   /\\ __\\      Allied Telesis Inc.',
		' /  \\ \\ \\ \\ \\ \\ \\ \\  \\ \\ \\_/      AlliedWare Plus (TM)',
		` /    \\ \\ \\ \\ \\ \\ \\ \\  \\ \\ \\       v${version}`,
		'',
		`Current release filename: vaa-${version}.iso`,
		`Built: ${stamp}`,
		'',
		'Mounting static filesystems...                          [  OK  ]',
		'Checking flash filesystem...                            [  OK  ]',
		'Mounting flash filesystem...                            [  OK  ]',
		'Checking NVS filesystem...                              [  OK  ]',
		'Starting base/dbus...                                   [  OK  ]',
		'Starting base/syslog...                                 [  OK  ]',
		'Starting base/loopback...                               [  OK  ]',
		'Starting base/sysctl...                                 [  OK  ]',
		'Received event syslog.done',
		'Starting network/startup...                             [  OK  ]',
		`eth0: DHCP lease acquired ${instance.privateIp}`,
		'Starting amf/amfd...                                    [  OK  ]',
		'Starting network/ssh...                                 [  OK  ]',
		'Received event network.enabled',
		'',
		'Initializing HA processes:',
		'auth, atmfd, bgpd, epsr, hostd, imi, ipsecd, isisd, lacp',
		'Received event network.configured',
		'',
		'awplus login: ',
	].join('\r\n');
}
