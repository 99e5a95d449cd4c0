package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// writeSyscalls: write-family system calls of this process (syscw in
// /proc/self/io), -1 when the kernel does not expose it.
func writeSyscalls() int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("syscw: ")) {
			n, err := strconv.ParseInt(string(bytes.TrimPrefix(line, []byte("syscw: "))), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

func lineText(i int) string { return fmt.Sprintf("line %d of the hw3 file experiment\n", i) }

// writeLines: one run of a writer; returns ms and the write calls it made.
func writeLines(path string, lines int, mode string) (float64, int64) {
	before := writeSyscalls()
	t0 := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return 0, -1
	}
	if mode == "unbuffered" {
		for i := 0; i < lines; i++ {
			f.WriteString(lineText(i)) // os.File is unbuffered: a write(2) per call
		}
	} else {
		w := bufio.NewWriterSize(f, 64*1024)
		for i := 0; i < lines; i++ {
			w.WriteString(lineText(i))
		}
		w.Flush()
		if mode == "buffered+fsync" {
			f.Sync()
		}
	}
	f.Close()
	d := time.Since(t0)
	after := writeSyscalls()
	os.Remove(path)
	if before < 0 || after < 0 {
		return ms(d), -1
	}
	return ms(d), after - before
}

func runFileIO(o options) []fileRow {
	var rows []fileRow
	path := filepath.Join(o.dir, "go_hw3_file_io.tmp")
	for _, mode := range []string{"unbuffered", "buffered", "buffered+fsync"} {
		row := fileRow{Name: mode, Lines: o.lines}
		for run := 0; run < o.runs; run++ {
			t, n := writeLines(path, o.lines, mode)
			row.Ms = append(row.Ms, t)
			row.Syscalls = n
		}
		rows = append(rows, row)
	}
	return rows
}

func rusage() (int64, int64) {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return u.Nvcsw, u.Nivcsw
}

// pingPong: two goroutines hand a turn back and forth over unbuffered
// channels; GOMAXPROCS 1 keeps them on one OS thread (pinned), all CPUs lets
// the scheduler spread them (free).
func pingPong(pinned bool, trips int64) switchRow {
	procs := runtime.NumCPU()
	if pinned {
		procs = 1
	}
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	ping, pong := make(chan struct{}), make(chan struct{})
	v0, i0 := rusage()
	t0 := time.Now()
	go func() {
		for i := int64(0); i < trips; i++ {
			<-ping
			pong <- struct{}{}
		}
	}()
	for i := int64(0); i < trips; i++ {
		ping <- struct{}{}
		<-pong
	}
	d := time.Since(t0)
	v1, i1 := rusage()
	return switchRow{"channel", pinned, trips, float64(d.Nanoseconds()) / float64(2*trips), v1 - v0, i1 - i0}
}

func runSwitches(o options) []switchRow {
	return []switchRow{pingPong(true, o.roundTrips), pingPong(false, o.roundTrips)}
}

type padded struct {
	v int64
	_ [56]byte // the rest of the 64-byte cache line
}

func countApart(pad bool, increments int64) float64 {
	var adjacent [2]int64
	var apart [2]padded
	d := runTogether(2, func(g int) {
		p := &adjacent[g]
		if pad {
			p = &apart[g].v
		}
		for i := int64(0); i < increments; i++ {
			atomic.AddInt64(p, 1)
		}
	})
	return float64(d.Nanoseconds()) / float64(increments)
}

func runFalseSharing(o options) []sharingRow {
	rows := []sharingRow{{Layout: "adjacent", Threads: 2, Increments: o.falseSharing},
		{Layout: "padded", Threads: 2, Increments: o.falseSharing}}
	for run := 0; run < o.runs; run++ {
		for i := range rows {
			ns := countApart(i == 1, o.falseSharing)
			if run == 0 || ns < rows[i].NsPerIncrement {
				rows[i].NsPerIncrement = ns
			}
			rows[i].NsMean += ns / float64(o.runs)
		}
	}
	return rows
}
