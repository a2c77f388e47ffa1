package linux

import (
	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/intelrdt"
	"github.com/opencontainers/runc/types"
)

// EventStats converts libcontainer's statistics into the stable shape that
// `runc events` prints (runc's types package), which callers decode.
func EventStats(ls *libcontainer.Stats) *types.Stats {
	cg := ls.CgroupStats
	if cg == nil {
		return nil
	}
	s := &types.Stats{
		Pids: types.Pids{Current: cg.PidsStats.Current, Limit: cg.PidsStats.Limit},
		CPU: types.Cpu{
			Usage: types.CpuUsage{
				Total:        cg.CpuStats.CpuUsage.TotalUsage,
				Kernel:       cg.CpuStats.CpuUsage.UsageInKernelmode,
				User:         cg.CpuStats.CpuUsage.UsageInUsermode,
				Percpu:       cg.CpuStats.CpuUsage.PercpuUsage,
				PercpuKernel: cg.CpuStats.CpuUsage.PercpuUsageInKernelmode,
				PercpuUser:   cg.CpuStats.CpuUsage.PercpuUsageInUsermode,
			},
			Throttling: types.Throttling{
				Periods:          cg.CpuStats.ThrottlingData.Periods,
				ThrottledPeriods: cg.CpuStats.ThrottlingData.ThrottledPeriods,
				ThrottledTime:    cg.CpuStats.ThrottlingData.ThrottledTime,
			},
			PSI: cg.CpuStats.PSI,
		},
		CPUSet: types.CPUSet(cg.CPUSetStats),
		Memory: types.Memory{
			Cache:     cg.MemoryStats.Cache,
			Usage:     memoryEntry(cg.MemoryStats.Usage),
			Swap:      memoryEntry(cg.MemoryStats.SwapUsage),
			Kernel:    memoryEntry(cg.MemoryStats.KernelUsage),
			KernelTCP: memoryEntry(cg.MemoryStats.KernelTCPUsage),
			Raw:       cg.MemoryStats.Stats,
			PSI:       cg.MemoryStats.PSI,
		},
		Blkio: types.Blkio{
			IoServiceBytesRecursive: blkioEntries(cg.BlkioStats.IoServiceBytesRecursive),
			IoServicedRecursive:     blkioEntries(cg.BlkioStats.IoServicedRecursive),
			IoQueuedRecursive:       blkioEntries(cg.BlkioStats.IoQueuedRecursive),
			IoServiceTimeRecursive:  blkioEntries(cg.BlkioStats.IoServiceTimeRecursive),
			IoWaitTimeRecursive:     blkioEntries(cg.BlkioStats.IoWaitTimeRecursive),
			IoMergedRecursive:       blkioEntries(cg.BlkioStats.IoMergedRecursive),
			IoTimeRecursive:         blkioEntries(cg.BlkioStats.IoTimeRecursive),
			SectorsRecursive:        blkioEntries(cg.BlkioStats.SectorsRecursive),
			PSI:                     cg.BlkioStats.PSI,
		},
		Hugetlb:           make(map[string]types.Hugetlb, len(cg.HugetlbStats)),
		NetworkInterfaces: ls.Interfaces,
	}
	for size, h := range cg.HugetlbStats {
		s.Hugetlb[size] = types.Hugetlb{Usage: h.Usage, Max: h.MaxUsage, Failcnt: h.Failcnt}
	}
	if rdt := ls.IntelRdtStats; rdt != nil {
		// Only what the machine has: the other statistics are empty.
		if intelrdt.IsCATEnabled() {
			if rdt.L3CacheInfo != nil {
				info := types.L3CacheInfo(*rdt.L3CacheInfo)
				s.IntelRdt.L3CacheInfo = &info
			}
			s.IntelRdt.L3CacheSchemaRoot = rdt.L3CacheSchemaRoot
			s.IntelRdt.L3CacheSchema = rdt.L3CacheSchema
		}
		if intelrdt.IsMBAEnabled() {
			if rdt.MemBwInfo != nil {
				info := types.MemBwInfo(*rdt.MemBwInfo)
				s.IntelRdt.MemBwInfo = &info
			}
			s.IntelRdt.MemBwSchemaRoot = rdt.MemBwSchemaRoot
			s.IntelRdt.MemBwSchema = rdt.MemBwSchema
		}
		if intelrdt.IsMBMEnabled() {
			s.IntelRdt.MBMStats = rdt.MBMStats
		}
		if intelrdt.IsCMTEnabled() {
			s.IntelRdt.CMTStats = rdt.CMTStats
		}
		s.IntelRdt.Schemata = rdt.Schemata
	}
	return s
}

func memoryEntry(m cgroups.MemoryData) types.MemoryEntry {
	return types.MemoryEntry{Limit: m.Limit, Usage: m.Usage, Max: m.MaxUsage, Failcnt: m.Failcnt}
}

func blkioEntries(in []cgroups.BlkioStatEntry) []types.BlkioEntry {
	out := make([]types.BlkioEntry, 0, len(in))
	for _, e := range in {
		out = append(out, types.BlkioEntry(e))
	}
	return out
}
