package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of the CPU times in /proc (USER_HZ, 100 on every Linux platform Go
// supports).
const clockTick = 10 * time.Millisecond

// cpuSample is a reading of the CPU time used so far by the benchmark, the server and the whole
// machine (all cores, idle and iowait excluded).
type cpuSample struct {
	at                    time.Time
	self, server, machine time.Duration
}

func sampleCPU(pid int) cpuSample {
	s := cpuSample{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); pid != 0 && err == nil {
		// Fields after the parenthesised command name: utime and stime are the 12th and 13th.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				s.server = ticks(f[11]) + ticks(f[12])
			}
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, v := range strings.Fields(line)[1:] {
			if i != 3 && i != 4 { // idle, iowait
				s.machine += ticks(v)
			}
		}
	}
	return s
}

func ticks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * clockTick
}

// cpuUse is the average number of cores busy between two samples.
type cpuUse struct{ self, server, other float64 }

func cpuBetween(a, b cpuSample, serverKnown bool) cpuUse {
	wall := float64(b.at.Sub(a.at))
	u := cpuUse{self: float64(b.self-a.self) / wall, server: float64(b.server-a.server) / wall}
	u.other = float64(b.machine-a.machine)/wall - u.self - u.server
	if !serverKnown {
		u.other += u.server
		u.server = 0
	}
	return u
}
