// go_hw3: the Go twin of `scalelab lab hw3`, the course's concurrency
// primitives in the course's language, with the same sizes as the C++ run.
// Standard library only; the lab builds it offline (GOPATH mode) and reads
// the JSON it writes to -out (rows in the lab's table shapes).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	out, dir                                           string
	threads, perThread, runs, readMixOps, lines, longF int
	roundTrips, falseSharing                           int64
	unsyncTimeout                                      time.Duration
}

type counterRow struct {
	Kind           string  `json:"kind"`
	Increments     int     `json:"increments"`
	Expected       int64   `json:"expected"`
	Final          int64   `json:"final"`
	NsPerIncrement float64 `json:"ns_per_increment"`
}

type mapRow struct {
	Name     string    `json:"name"`
	Workload string    `json:"workload"`
	Expected int64     `json:"expected"`
	Entries  float64   `json:"entries"`
	Ms       []float64 `json:"ms"`
	Outcome  string    `json:"outcome"`
}

type fileRow struct {
	Name     string    `json:"name"`
	Lines    int       `json:"lines"`
	Ms       []float64 `json:"ms"`
	Syscalls int64     `json:"syscalls"` // -1: not exposed
}

type switchRow struct {
	Name        string  `json:"name"`
	Pinned      bool    `json:"pinned"`
	RoundTrips  int64   `json:"round_trips"`
	NsPerSwitch float64 `json:"ns_per_switch"`
	Voluntary   int64   `json:"voluntary"`
	Involuntary int64   `json:"involuntary"`
}

type sharingRow struct {
	Layout         string  `json:"layout"`
	Threads        int     `json:"threads"`
	Increments     int64   `json:"increments"`
	NsPerIncrement float64 `json:"ns_per_increment"`
	NsMean         float64 `json:"ns_mean"`
}

type result struct {
	Version       string       `json:"version"`
	Atomicity     []counterRow `json:"atomicity"`
	Maps          []mapRow     `json:"maps"`
	FileIO        []fileRow    `json:"file_io"`
	ContextSwitch []switchRow  `json:"context_switch"`
	FalseSharing  []sharingRow `json:"false_sharing"`
}

// runTogether starts n goroutines, releases them at once and returns the
// wall time from the release to the last one's end.
func runTogether(n int, body func(g int)) time.Duration {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for g := 0; g < n; g++ {
		go func(g int) {
			defer done.Done()
			ready.Done()
			<-start
			body(g)
		}(g)
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	return time.Since(t0)
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func main() {
	var o options
	var timeoutS int
	child := flag.String("unsync-child", "", "internal: THREADS,PER_THREAD: fill an unsynchronised map and print entries and ms")
	flag.StringVar(&o.out, "out", "go_hw3.json", "where to write the results")
	flag.StringVar(&o.dir, "dir", os.TempDir(), "directory for the file I/O experiment")
	flag.IntVar(&o.threads, "threads", 50, "goroutines for the counter and the maps")
	flag.IntVar(&o.perThread, "per-thread", 1000, "increments / entries per goroutine")
	flag.IntVar(&o.runs, "runs", 5, "repetitions")
	flag.IntVar(&o.readMixOps, "read-mix-ops", 10000, "operations per goroutine in the 90%-read mix")
	flag.IntVar(&o.lines, "lines", 100000, "lines in the file I/O experiment")
	flag.IntVar(&o.longF, "long-factor", 20, "the -long rows use this x per-thread")
	flag.Int64Var(&o.roundTrips, "round-trips", 1000000, "hand-off round trips")
	flag.Int64Var(&o.falseSharing, "false-sharing", 20000000, "increments per goroutine")
	flag.IntVar(&timeoutS, "unsync-timeout", 10, "seconds before a hung unsynchronised-map child is killed")
	flag.Parse()
	o.unsyncTimeout = time.Duration(timeoutS) * time.Second
	if *child != "" {
		unsyncChild(*child)
		return
	}
	r := result{Version: runtime.Version()}
	r.Atomicity = runAtomicity(o)
	r.Maps = runMaps(o)
	r.FileIO = runFileIO(o)
	r.ContextSwitch = runSwitches(o)
	r.FalseSharing = runFalseSharing(o)
	data, err := json.MarshalIndent(r, "", "  ")
	if err == nil {
		err = os.WriteFile(o.out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "go_hw3:", err)
		os.Exit(1)
	}
}

// --- atomicity ---------------------------------------------------------------

var plainCounter int64 // raced on purpose

func counterRun(kind string, threads, increments int) counterRow {
	plainCounter = 0
	var atomicCounter int64
	var mu sync.Mutex
	var guarded int64
	d := runTogether(threads, func(int) {
		for i := 0; i < increments; i++ {
			switch kind {
			case "atomic":
				atomic.AddInt64(&atomicCounter, 1)
			case "mutex":
				mu.Lock()
				guarded++
				mu.Unlock()
			default:
				plainCounter++
			}
		}
	})
	final := plainCounter
	if kind == "atomic" {
		final = atomicCounter
	} else if kind == "mutex" {
		final = guarded
	}
	expected := int64(threads) * int64(increments)
	return counterRow{kind, increments, expected, final, float64(d.Nanoseconds()) / float64(expected)}
}

func runAtomicity(o options) []counterRow {
	plainLong := counterRun("plain", o.threads, o.perThread*o.longF)
	plainLong.Kind = "plain-long"
	return []counterRow{counterRun("plain", o.threads, o.perThread), plainLong,
		counterRun("atomic", o.threads, o.perThread), counterRun("mutex", o.threads, o.perThread)}
}
