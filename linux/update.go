package linux

import (
	"errors"
	"slices"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/intelrdt"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// RDTSchemas are update's Intel RDT settings ("" leaves one unchanged).
type RDTSchemas struct {
	L3Cache         string
	MemoryBandwidth string
}

// UpdateResources applies r on top of c's current cgroup (and Intel RDT)
// settings, as `runc update` does: a nil field keeps the current value.
// r.Memory, r.CPU, r.BlockIO and r.Pids must not be nil.
func UpdateResources(c *libcontainer.Container, r *specs.LinuxResources, rdt RDTSchemas) error {
	config := c.Config()
	res := config.Cgroups.Resources

	// Unlimited memory with no word on swap: swap follows, or the kernel
	// refuses a swap limit without a memory limit.
	if r.Memory.Limit != nil && *r.Memory.Limit == -1 && r.Memory.Swap == nil {
		r.Memory.Swap = new(int64(0))
	}
	// cpu.idle without shares fails on cgroup v2 (cpu.weight "invalid argument").
	if r.CPU.Idle != nil && r.CPU.Shares == nil {
		r.CPU.Shares = new(uint64(0))
	}
	if r.Memory.Kernel != nil || r.Memory.KernelTCP != nil { //nolint:staticcheck // accepted and ignored, as runc does
		logrus.Warn("Kernel memory settings are ignored and will be removed")
	}

	if r.BlockIO.Weight != nil {
		res.BlkioWeight = *r.BlockIO.Weight
	}
	if r.BlockIO.LeafWeight != nil {
		res.BlkioLeafWeight = *r.BlockIO.LeafWeight
	}
	for _, wd := range r.BlockIO.WeightDevice {
		res.BlkioWeightDevice = upsertWeightDevice(res.BlkioWeightDevice, wd)
	}
	for _, throttle := range []struct {
		dst *[]*cgroups.ThrottleDevice
		src []specs.LinuxThrottleDevice
	}{
		{&res.BlkioThrottleReadBpsDevice, r.BlockIO.ThrottleReadBpsDevice},
		{&res.BlkioThrottleWriteBpsDevice, r.BlockIO.ThrottleWriteBpsDevice},
		{&res.BlkioThrottleReadIOPSDevice, r.BlockIO.ThrottleReadIOPSDevice},
		{&res.BlkioThrottleWriteIOPSDevice, r.BlockIO.ThrottleWriteIOPSDevice},
	} {
		for _, td := range throttle.src {
			*throttle.dst = upsertThrottleDevice(*throttle.dst, td)
		}
	}

	// Quota and period: both given (or both zero) replace both; one alone
	// keeps the other's current value.
	var period uint64
	var quota int64
	if r.CPU.Period != nil {
		period = *r.CPU.Period
	}
	if r.CPU.Quota != nil {
		quota = *r.CPU.Quota
	}
	switch {
	case (period == 0) == (quota == 0):
		res.CpuPeriod, res.CpuQuota = period, quota
	case period != 0:
		res.CpuPeriod = period
	default:
		res.CpuQuota = quota
	}
	res.CpuBurst = r.CPU.Burst
	if r.CPU.Shares != nil {
		res.CpuShares = *r.CPU.Shares
		res.CpuWeight = cgroups.ConvertCPUSharesToCgroupV2Value(*r.CPU.Shares)
	}
	if r.CPU.RealtimePeriod != nil {
		res.CpuRtPeriod = *r.CPU.RealtimePeriod
	}
	if r.CPU.RealtimeRuntime != nil {
		res.CpuRtRuntime = *r.CPU.RealtimeRuntime
	}
	res.CpusetCpus = r.CPU.Cpus
	res.CpusetMems = r.CPU.Mems
	res.CPUIdle = r.CPU.Idle
	if r.Memory.Limit != nil {
		res.Memory = *r.Memory.Limit
	}
	if r.Memory.Reservation != nil {
		res.MemoryReservation = *r.Memory.Reservation
	}
	if r.Memory.Swap != nil {
		res.MemorySwap = *r.Memory.Swap
	}
	if r.Memory.CheckBeforeUpdate != nil {
		res.MemoryCheckBeforeUpdate = *r.Memory.CheckBeforeUpdate
	}
	res.PidsLimit = r.Pids.Limit
	res.Unified = r.Unified

	if rdt.L3Cache != "" && !intelrdt.IsCATEnabled() {
		return errors.New("Intel RDT/CAT: l3 cache schema is not enabled")
	}
	if rdt.MemoryBandwidth != "" && !intelrdt.IsMBAEnabled() {
		return errors.New("Intel RDT/MBA: memory bandwidth schema is not enabled")
	}
	if rdt.L3Cache != "" || rdt.MemoryBandwidth != "" {
		// Update cannot create an RDT group the container was not given.
		if config.IntelRdt == nil {
			return errors.New("updating a non-existent Intel RDT configuration is not supported")
		}
		if rdt.L3Cache != "" {
			config.IntelRdt.L3CacheSchema = rdt.L3Cache
		}
		if rdt.MemoryBandwidth != "" {
			config.IntelRdt.MemBwSchema = rdt.MemoryBandwidth
		}
	}
	// Update never changes device rules; skipping them also leaves alone
	// rules that others (GPU plugins) added.
	config.Cgroups.SkipDevices = true
	return c.Set(config)
}

// upsertWeightDevice updates the last entry for the device or appends one.
func upsertWeightDevice(devices []*cgroups.WeightDevice, wd specs.LinuxWeightDevice) []*cgroups.WeightDevice {
	if i := lastDevice(devices, wd.Major, wd.Minor, func(d *cgroups.WeightDevice) (int64, int64) { return d.Major, d.Minor }); i >= 0 {
		if wd.Weight != nil {
			devices[i].Weight = *wd.Weight
		}
		if wd.LeafWeight != nil {
			devices[i].LeafWeight = *wd.LeafWeight
		}
		return devices
	}
	var weight, leaf uint16
	if wd.Weight != nil {
		weight = *wd.Weight
	}
	if wd.LeafWeight != nil {
		leaf = *wd.LeafWeight
	}
	return append(devices, cgroups.NewWeightDevice(wd.Major, wd.Minor, weight, leaf))
}

// upsertThrottleDevice updates the last entry for the device or appends one.
func upsertThrottleDevice(devices []*cgroups.ThrottleDevice, td specs.LinuxThrottleDevice) []*cgroups.ThrottleDevice {
	if i := lastDevice(devices, td.Major, td.Minor, func(d *cgroups.ThrottleDevice) (int64, int64) { return d.Major, d.Minor }); i >= 0 {
		devices[i].Rate = td.Rate
		return devices
	}
	return append(devices, cgroups.NewThrottleDevice(td.Major, td.Minor, td.Rate))
}

// lastDevice is the index of the last entry for major:minor (a duplicate's
// last entry is the one the kernel ends up with), or -1.
func lastDevice[D any](devices []D, major, minor int64, id func(D) (int64, int64)) int {
	for i, d := range slices.Backward(devices) {
		if ma, mi := id(d); ma == major && mi == minor {
			return i
		}
	}
	return -1
}
