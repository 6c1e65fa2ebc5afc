package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// The load proof's settings; `go test -args -proof.clients=100` and so on.
var (
	proofClients  = flag.Int("proof.clients", 200, "concurrent clients of BenchmarkLoadTwoReplicas")
	proofDuration = flag.Duration("proof.duration", 60*time.Second, "length of BenchmarkLoadTwoReplicas")
	proofThink    = flag.Duration("proof.think", 500*time.Millisecond, "mean pause between a client's requests in BenchmarkLoadTwoReplicas")
	proofWriters  = flag.Int("proof.writers", 4, "officers writing through the API in BenchmarkLoadTwoReplicas")
)

// The proof's targets: pages answer within 100 ms at the 99th percentile,
// and a replica stays under 150 MB.
const (
	proofPageP99 = 100.0 // ms
	proofMaxRSS  = 150.0 // MB
)

// proofPages are the kinds of request that are pages a person waits for.
var proofPages = []string{"board", "board-revalidate", "crossing"}

// BenchmarkLoadTwoReplicas is the load proof: the built borderflow twice
// (jobs on) on one PostgreSQL holding 180 days of demo figures, and
// cmd/loadgen replaying the realistic mix with 200 clients for 60 s across
// both. It fails unless no request failed, pages answered within 100 ms at
// the 99th percentile, every acknowledged write is in the database, and
// each replica's peak RSS stayed under 150 MB. Run once: -benchtime 1x.
func BenchmarkLoadTwoReplicas(b *testing.B) {
	dbURL := testdb.PostgresURL(b)
	setup := newTestApp(b, dbURL)
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, setup.db, models.DemoOptions{Days: 180, End: models.DateOf(time.Now(), setup.cfg.TimeZone).AddDays(-1),
		Now: time.Now(), Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var tokens []string
	for i := range *proofWriters {
		slug := []string{"torkham", "chaman"}[i%2]
		_, token := apiToken(b, setup, fmt.Sprintf("officer%d", i), models.RoleOfficer, slug)
		tokens = append(tokens, slug+"="+token)
	}
	server, loadgen := build(b, "borderflow"), buildLoadgen(b)
	replicas := []*replica{startServe(b, server, "a", dbURL, "BORDERFLOW_JOBS=on"), startServe(b, server, "b", dbURL, "BORDERFLOW_JOBS=on")}

	for range b.N {
		var peak [2]float64 // the highest VmRSS seen, MB
		stopSampling := make(chan struct{})
		var sampling sync.WaitGroup
		sampling.Go(func() {
			for {
				for i, r := range replicas {
					peak[i] = max(peak[i], procStatusMB(b, r.cmd.Process.Pid, "VmRSS"))
				}
				select {
				case <-stopSampling:
					return
				case <-time.After(time.Second):
				}
			}
		})
		before := testdb.SampleCPU()
		replicaCPU := procCPU(b, replicas[0].cmd.Process.Pid) + procCPU(b, replicas[1].cmd.Process.Pid)
		run := startLoad(b, loadgen, tokens, []string{"-clients", strconv.Itoa(*proofClients), "-duration", proofDuration.String(),
			"-think", proofThink.String(), "-writers", strconv.Itoa(*proofWriters), "-requests", "10000000"}, replicas...)
		rep := run.wait()
		after := testdb.SampleCPU()
		replicaCPU = procCPU(b, replicas[0].cmd.Process.Pid) + procCPU(b, replicas[1].cmd.Process.Pid) - replicaCPU
		close(stopSampling)
		sampling.Wait()

		if n := rep.ErrorCount(); n > 0 {
			b.Errorf("%d requests failed: %v %v", n, rep.Errors, rep.First)
		}
		worst := 0.0
		for _, kind := range proofPages {
			k := rep.kind(kind)
			worst = max(worst, k.P99)
			if k.Count == 0 || k.P99 >= proofPageP99 {
				b.Errorf("%s: %d requests, p99 %.1f ms; want some, under %.0f ms", kind, k.Count, k.P99, proofPageP99)
			}
		}
		writes := checkWritesStored(b, setup.db, run.writes)
		var hwm [2]float64
		for i, r := range replicas {
			hwm[i] = procStatusMB(b, r.cmd.Process.Pid, "VmHWM")
			if hwm[i] >= proofMaxRSS {
				b.Errorf("replica %s peaked at %.1f MB RSS; want under %.0f MB", r.name, hwm[i], proofMaxRSS)
			}
		}
		others := testdb.ForeignCPU(before, after)
		b.Logf("%d clients, think %v, %v: %.0f requests/s, %d errors, %d acknowledged writes all stored; "+
			"pages p99 at most %.1f ms; peak RSS (VmHWM) %.1f and %.1f MB, VmRSS seen at most %.1f and %.1f MB; "+
			"CPU per request %.2f ms in all (replicas, PostgreSQL, loadgen), %.2f ms in the replicas; "+
			"other processes used %.0f%% of the machine's CPU",
			*proofClients, *proofThink, rep.Elapsed.Round(time.Millisecond), float64(rep.Requests)/rep.Elapsed.Seconds(),
			rep.ErrorCount(), writes, worst, hwm[0], hwm[1], peak[0], peak[1],
			ms(testdb.OwnCPU(before, after))/float64(rep.Requests), ms(replicaCPU)/float64(rep.Requests), 100*others)
		b.ReportMetric(float64(rep.Requests)/rep.Elapsed.Seconds(), "requests/s")
		b.ReportMetric(worst, "page_p99_ms")
		b.ReportMetric(max(hwm[0], hwm[1]), "max_rss_MB")
		if others >= 0 {
			b.ReportMetric(100*others, "others_cpu_%")
		}
	}
}

// ErrorCount is the number of failed requests.
func (rep loadReport) ErrorCount() int {
	n := 0
	for _, c := range rep.Errors {
		n += c
	}
	return n
}

// procCPU is the CPU time a process has used.
func procCPU(tb testing.TB, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest) // state ppid … utime (11) stime (12)
	user, _ := strconv.ParseInt(f[11], 10, 64)
	system, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+system) * 10 * time.Millisecond // USER_HZ is 100
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// procStatusMB reads a memory figure (VmRSS, VmHWM) of a process, in MB.
func procStatusMB(tb testing.TB, pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb * 1024 / 1e6
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
