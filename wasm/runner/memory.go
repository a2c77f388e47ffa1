package runner

// linearMemoryLimit is the most linear memory a guest may have when the
// container's memory limit is limit and its compiled module is cwasmSize
// bytes. The rest is headroom for the runner itself. runner.c computes the
// same (WR_MEMORY_HEADROOM_BASE, checked by TestRunnerConstants); this is its
// reference, used by the tests.
func linearMemoryLimit(limit, cwasmSize int64) int64 {
	l := limit - memoryHeadroom(limit, cwasmSize)
	if l < 0 {
		return 0
	}
	return l
}

// memoryHeadroom: see docs/wasm.md, "Memory", for the measurements behind it.
func memoryHeadroom(limit, cwasmSize int64) int64 {
	return 8<<20 + cwasmSize + limit/64
}
