package deploy

// FargateCPUs are the task cpu values Fargate accepts (1024 = 1 vCPU).
var FargateCPUs = []int{256, 512, 1024, 2048, 4096, 8192, 16384}

// FargateMemories returns the task memory values (MiB) Fargate accepts with
// cpu, from the same table validation uses; nil for a cpu Fargate lacks.
func FargateMemories(cpu int) []int { return fargateMemoryChoices(cpu) }
