package deploy

// engineCodes are the error codes the engine gives its own findings (a
// wait that ran out, a resource it will not touch, a rollout ECS judged):
// they are not AWS's errors, and a page shows their message in the
// console's words rather than as "AWS said (…)".
var engineCodes = map[string]bool{
	"Interrupted": true, "InvalidSpec": true, "InvalidTaskDefinition": true, "Timeout": true,
	"DeploymentFailed": true, "DeploymentSuperseded": true, "TargetGroupMismatch": true,
	codeOwnedByAnotherService: true, codeNotOwned: true,
	"CertificateNotIssued": true, "CertificateNotValidated": true, "CertificateRecordsMissing": true,
	"ListenerNotFound": true, "LoadBalancerFailed": true, "LoadBalancerNotFound": true, "ServiceNotFound": true,
}

// IsEngineCode reports whether code is one of the engine's own error codes
// (not one AWS answered with).
func IsEngineCode(code string) bool { return engineCodes[code] }
