package main

// opsConfig is the configuration of freezes, notifications and metrics:
// its flags in one block.
type opsConfig struct {
	// FreezeAfterRollback freezes a service after a person rolls it back.
	FreezeAfterRollback bool
}

func (c *opsConfig) register(e *envFlags) {
	e.Bool(&c.FreezeAfterRollback, "freeze-after-rollback", "ECSCONSOLE_FREEZE_AFTER_ROLLBACK", false,
		"freeze a service after a person rolls it back, so that a pipeline cannot deploy over the rollback")
}
