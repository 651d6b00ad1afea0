package sqlite_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sealkit/sealkit/backend/internal/records"
	"github.com/sealkit/sealkit/backend/sqlite"
)

// The child processes of these tests are this test binary run again with
// childEnv naming the job; TestMain dispatches them.
const childEnv = "SEALKIT_SQLITE_CHILD"

func TestMain(m *testing.M) {
	switch job := os.Getenv(childEnv); {
	case strings.HasPrefix(job, "writer:"):
		os.Exit(childWriter(strings.TrimPrefix(job, "writer:")))
	case strings.HasPrefix(job, "counter:"):
		os.Exit(childCounter(strings.TrimPrefix(job, "counter:")))
	}
	os.Exit(m.Run())
}

// recordBody is a record's content, derived from its sequence number, with
// enough bytes to span several pages.
func recordBody(i int) []byte {
	var body []byte
	for k := 0; len(body) < 20000; k++ {
		h := sha256.Sum256(fmt.Appendf(nil, "%d/%d", i, k))
		body = append(body, h[:]...)
	}
	return body
}

// childWriter writes records forever (until killed), each a create, a
// blob and an update, and prints "ack N" after each commit returns.
func childWriter(path string) int {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		id := strconv.Itoa(i)
		r, err := db.Create(ctx, records.Record{Kind: "crash", ID: id, Data: recordBody(i)})
		if err == nil {
			r.Data = append(r.Data, 'u')
			_, err = db.Update(ctx, r, r.Version)
		}
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Fprintf(out, "ack %d\n", i)
		out.Flush()
	}
}

// TestCrashSafety kills a writing child with SIGKILL mid-write, reopens
// the file and checks that every acknowledged record is intact and that
// no record is half-written.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=writer:"+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := -1
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "ack "); ok {
				acked, _ = strconv.Atoi(n)
				// Kill at a different point of the write cycle each round.
				if acked >= 40*(round+1) {
					break
				}
				continue
			}
			t.Fatalf("child: %s", line)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		// Acks still in the pipe count too: their commits returned.
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked, _ = strconv.Atoi(n)
			}
		}
		cmd.Wait()
		if acked < 0 {
			t.Fatal("the child acknowledged nothing")
		}
		checkCrashFile(t, path, acked)
		// The next round's child appends after the records already there.
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		list, _ := db.List(context.Background(), "crash", records.ByOwner, "")
		for _, r := range list {
			db.Delete(context.Background(), "crash", r.ID)
		}
		db.Close()
	}
}

func checkCrashFile(t *testing.T, path string, acked int) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopening after SIGKILL: %v", err)
	}
	defer db.Close()
	list, err := db.List(context.Background(), "crash", records.ByOwner, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < acked+1 {
		t.Fatalf("%d records survived, but %d were acknowledged", len(list), acked+1)
	}
	for _, r := range list {
		i, _ := strconv.Atoi(r.ID)
		want := recordBody(i)
		switch {
		case r.Version == 2 && string(r.Data) == string(want)+"u":
		case r.Version == 1 && string(r.Data) == string(want) && i > acked:
			// Created but not yet updated when the child died: whole.
		default:
			sum := sha256.Sum256(r.Data)
			t.Fatalf("record %d (acked up to %d) is damaged: version %d, %d bytes, sha256 %s",
				i, acked, r.Version, len(r.Data), hex.EncodeToString(sum[:8]))
		}
	}
}

// childCounter increments a shared counter n times with Modify.
func childCounter(arg string) int {
	path, nStr, _ := strings.Cut(arg, ",")
	n, _ := strconv.Atoi(nStr)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer db.Close()
	for range n {
		if _, err := db.Modify(ctx, "c", "n", increment); err != nil {
			fmt.Println(err)
			return 1
		}
	}
	return 0
}

func increment(r *records.Record) error {
	n, err := strconv.Atoi(string(r.Data))
	if err != nil {
		return errors.New("counter is not a number")
	}
	r.Data = []byte(strconv.Itoa(n + 1))
	return nil
}

// TestConcurrentProcesses has several processes and this one increment one
// counter at once: the file's locking must lose no update.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Create(context.Background(), records.Record{Kind: "c", ID: "n", Data: []byte("0")}); err != nil {
		t.Fatal(err)
	}
	const procs, each = 3, 40
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=counter:%s,%d", childEnv, path, each))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child: %v: %s", err, out)
			}
		})
	}
	for range each {
		if _, err := db.Modify(context.Background(), "c", "n", increment); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	r, _ := db.Get(context.Background(), "c", "n")
	if want := strconv.Itoa((procs + 1) * each); string(r.Data) != want {
		t.Errorf("counter = %s, want %s: an update was lost across processes", r.Data, want)
	}
}
