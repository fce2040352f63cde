/**
 * An error the sandbox answers with, in EC2's vocabulary: the code the SDK surfaces as `error.name`,
 * the message AWS uses, and the HTTP status.
 */
export class Ec2Error extends Error {
	readonly code: string;
	readonly status: number;

	constructor(code: string, message: string, status = 400) {
		super(message);
		this.name = 'Ec2Error';
		this.code = code;
		this.status = status;
	}
}

export function missingParameter(name: string): Ec2Error {
	return new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
}

export function invalidParameterValue(message: string): Ec2Error {
	return new Ec2Error('InvalidParameterValue', message);
}

export function invalidParameterCombination(message: string): Ec2Error {
	return new Ec2Error('InvalidParameterCombination', message);
}

export function dependencyViolation(message: string): Ec2Error {
	return new Ec2Error('DependencyViolation', message);
}
