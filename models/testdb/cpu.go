package testdb

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The CPU sampling below lets benchmarks report how much of the machine
// other processes used while they measured.

// CPUSample is the machine's busy CPU time (steal included) and that of
// this process and its descendants (the PostgreSQL server the harness
// started, wrk), reaped children included, in clock ticks.
type CPUSample struct {
	at         time.Time
	busy, self int64
	ok         bool
}

// clockTicks is Linux's USER_HZ, the unit of /proc/stat.
const clockTicks = 100

func SampleCPU() CPUSample {
	s := CPUSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		s.busy += n
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return s
	}
	parent := map[int]int{}
	ticks := map[int]int64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone
		}
		_, rest, _ := strings.Cut(string(data), ") ")
		g := strings.Fields(rest) // state ppid ... utime (11) stime cutime cstime (14)
		if len(g) < 15 {
			continue
		}
		parent[pid], _ = strconv.Atoi(g[1])
		for _, i := range []int{11, 12, 13, 14} {
			n, _ := strconv.ParseInt(g[i], 10, 64)
			ticks[pid] += n
		}
	}
	mine := map[int]bool{os.Getpid(): true}
	for changed := true; changed; {
		changed = false
		for pid, ppid := range parent {
			if !mine[pid] && mine[ppid] {
				mine[pid], changed = true, true
			}
		}
	}
	for pid := range mine {
		s.self += ticks[pid]
	}
	s.ok = true
	return s
}

// ReportOthersCPU reports how much of the machine's CPU other processes
// used since before, so that a figure taken beside a busy neighbour shows
// it (over a second at least: /proc counts in hundredths of a second).
func ReportOthersCPU(b *testing.B, before CPUSample) {
	after := SampleCPU()
	if f := ForeignCPU(before, after); f >= 0 && after.at.Sub(before.at) >= time.Second {
		b.ReportMetric(100*f, "others_cpu_%")
	}
}

// MedianMS is the median of durations, in milliseconds.
func MedianMS(d []time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	m := d[len(d)/2]
	if len(d)%2 == 0 {
		m = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

// ForeignCPU is the share of all CPUs that other processes (not this one,
// not its descendants) kept busy between two samples, or -1 when unknown.
func ForeignCPU(before, after CPUSample) float64 {
	if !before.ok || !after.ok {
		return -1
	}
	capacity := after.at.Sub(before.at).Seconds() * clockTicks * float64(runtime.NumCPU())
	return max(0, float64((after.busy-before.busy)-(after.self-before.self))/capacity)
}

// OwnCPU is the CPU time this process and its descendants used between two
// samples.
func OwnCPU(before, after CPUSample) time.Duration {
	return time.Duration(after.self-before.self) * time.Second / clockTicks
}
