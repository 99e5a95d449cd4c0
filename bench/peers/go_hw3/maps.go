package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// sharedMap: the synchronised maps behind one interface.
type sharedMap interface {
	put(k, v int)
	get(k int) bool
	size() int
}

type mutexMap struct {
	mu sync.Mutex
	m  map[int]int // guarded by mu
}

func (s *mutexMap) put(k, v int) { s.mu.Lock(); s.m[k] = v; s.mu.Unlock() }
func (s *mutexMap) get(k int) bool {
	s.mu.Lock()
	_, ok := s.m[k]
	s.mu.Unlock()
	return ok
}
func (s *mutexMap) size() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.m) }

type rwMap struct {
	mu sync.RWMutex
	m  map[int]int // guarded by mu
}

func (s *rwMap) put(k, v int) { s.mu.Lock(); s.m[k] = v; s.mu.Unlock() }
func (s *rwMap) get(k int) bool {
	s.mu.RLock()
	_, ok := s.m[k]
	s.mu.RUnlock()
	return ok
}
func (s *rwMap) size() int { s.mu.RLock(); defer s.mu.RUnlock(); return len(s.m) }

type syncMap struct{ m sync.Map }

func (s *syncMap) put(k, v int)   { s.m.Store(k, v) }
func (s *syncMap) get(k int) bool { _, ok := s.m.Load(k); return ok }
func (s *syncMap) size() int {
	n := 0
	s.m.Range(func(_, _ any) bool { n++; return true })
	return n
}

var mapNames = []string{"Mutex", "RWMutex", "sync.Map"}

func newMap(name string) sharedMap {
	switch name {
	case "Mutex":
		return &mutexMap{m: map[int]int{}}
	case "RWMutex":
		return &rwMap{m: map[int]int{}}
	}
	return &syncMap{}
}

func fill(name string, threads, perThread int) (int, float64) {
	m := newMap(name)
	d := runTogether(threads, func(g int) {
		for i := 0; i < perThread; i++ {
			m.put(g*perThread+i, i)
		}
	})
	return m.size(), ms(d)
}

// readMix: 90% reads of existing keys, 10% rewrites, over a filled map.
func readMix(name string, threads, perThread, ops int) (int, float64) {
	m := newMap(name)
	keys := threads * perThread
	for k := 0; k < keys; k++ {
		m.put(k, k)
	}
	d := runTogether(threads, func(g int) {
		x := uint32(2654435761) * uint32(g+1)
		for i := 0; i < ops; i++ {
			x = x*1664525 + 1013904223
			k := int(x % uint32(keys))
			if i%10 == 0 {
				m.put(k, i)
			} else {
				m.get(k)
			}
		}
	})
	return m.size(), ms(d)
}

// unsyncChild fills a plain map from many goroutines: the runtime usually
// stops it with "fatal error: concurrent map writes".
func unsyncChild(spec string) {
	parts := strings.Split(spec, ",")
	threads, _ := strconv.Atoi(parts[0])
	perThread, _ := strconv.Atoi(parts[1])
	m := map[int]int{}
	d := runTogether(threads, func(g int) {
		for i := 0; i < perThread; i++ {
			m[g*perThread+i] = i // the data race, on purpose
		}
	})
	fmt.Printf("%d %f\n", len(m), ms(d))
}

func unsyncRow(o options, perThread int, name string) mapRow {
	row := mapRow{Name: name, Workload: "write", Expected: int64(o.threads * perThread), Ms: []float64{}}
	crashed, hung, entries := 0, 0, []float64{}
	for run := 0; run < o.runs; run++ {
		ctx, cancel := context.WithTimeout(context.Background(), o.unsyncTimeout)
		cmd := exec.CommandContext(ctx, os.Args[0], "-unsync-child", fmt.Sprintf("%d,%d", o.threads, perThread))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		timedOut := ctx.Err() != nil
		cancel()
		var n, t float64
		if timedOut {
			hung++
		} else if _, scanErr := fmt.Sscanf(out.String(), "%g %g", &n, &t); err != nil || scanErr != nil {
			crashed++
		} else {
			entries = append(entries, n)
			row.Ms = append(row.Ms, t)
		}
	}
	for _, e := range entries {
		row.Entries += e / float64(len(entries))
	}
	row.Outcome = outcome(row.Expected, entries, crashed, hung, o)
	return row
}

func outcome(expected int64, entries []float64, crashed, hung int, o options) string {
	var parts []string
	if crashed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d runs crashed (fatal error: concurrent map writes)", crashed, o.runs))
	}
	if hung > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d runs hung (killed after %s)", hung, o.runs, o.unsyncTimeout))
	}
	short := 0
	for _, e := range entries {
		if int64(e) != expected {
			short++
		}
	}
	if short > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d runs lost entries", short, len(entries)))
	}
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, "; ")
}

func runMaps(o options) []mapRow {
	rows := []mapRow{unsyncRow(o, o.perThread, "unsynchronised"), unsyncRow(o, o.perThread*o.longF, "unsynchronised-long")}
	for _, workload := range []string{"write", "read90"} {
		for _, name := range mapNames {
			row := mapRow{Name: name, Workload: workload, Expected: int64(o.threads * o.perThread), Outcome: "ok"}
			short := 0
			for run := 0; run < o.runs; run++ {
				var n int
				var t float64
				if workload == "write" {
					n, t = fill(name, o.threads, o.perThread)
				} else {
					n, t = readMix(name, o.threads, o.perThread, o.readMixOps)
				}
				row.Entries += float64(n) / float64(o.runs)
				row.Ms = append(row.Ms, t)
				if int64(n) != row.Expected {
					short++
				}
			}
			if short > 0 {
				row.Outcome = fmt.Sprintf("%d of %d runs lost entries", short, o.runs)
			}
			rows = append(rows, row)
		}
	}
	return rows
}
