package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sealkit/sealkit/backend/driver"
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
	case strings.HasPrefix(job, "blobs:"):
		os.Exit(childBlobs(strings.TrimPrefix(job, "blobs:")))
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
		r, err := db.Create(ctx, driver.Record{Kind: "crash", ID: id, Data: recordBody(i)})
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
		list, _ := db.List(context.Background(), "crash", driver.ByOwner, "")
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
	list, err := db.List(context.Background(), "crash", driver.ByOwner, "")
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

func increment(r *driver.Record) error {
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
	if _, err := db.Create(context.Background(), driver.Record{Kind: "c", ID: "n", Data: []byte("0")}); err != nil {
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

// blobContent is the blob a blob-writing child puts in its round i: two
// and a half chunks, derived from i.
func blobContent(i int) []byte {
	return bytes.Repeat(fmt.Appendf(nil, "%07d|", i), driver.ChunkSize*5/2/8)
}

// childBlobs replaces one blob forever (until killed). It prints "ack N"
// after each put returns, and, during a put, "at K" when the put asks for
// the bytes of chunk K and "at end" when it reads the end, so that the
// parent can kill it at each stage of a put.
func childBlobs(path string) int {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		src := &progressReader{r: bytes.NewReader(blobContent(i)), out: out}
		if _, err := db.PutBlob(ctx, "b", src); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Fprintf(out, "ack %d\n", i)
		out.Flush()
	}
}

// progressReader reports when its reader reaches each chunk and the end.
type progressReader struct {
	r    *bytes.Reader
	off  int64
	next int64 // the next chunk to report
	out  *bufio.Writer
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.r.Len() == 0 {
		fmt.Fprintln(p.out, "at end")
		p.out.Flush()
	} else if p.off >= p.next*driver.ChunkSize {
		fmt.Fprintf(p.out, "at %d\n", p.next)
		p.out.Flush()
		p.next++
	}
	n, err := p.r.Read(b)
	p.off += int64(n)
	return n, err
}

// TestCrashSafetyBlobs kills a child with SIGKILL while it replaces a blob
// again and again, a chunk per transaction, at a different stage of a put
// each round (before chunk 0, 1 or 2 is written, and just before the put
// names its chunks), then checks that the blob is whole (the last
// acknowledged put, or the one in flight if it was named), and that the
// sweep at the next Open, once the dead child's pending chunks are older
// than PendingBlobTTL, leaves only the blob's own chunks.
func TestCrashSafetyBlobs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "blobs.db")
	for round, stage := range []string{"at 0", "at 1", "at 2", "at end"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=blobs:"+path)
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
				continue
			}
			if !strings.HasPrefix(line, "at ") {
				t.Fatalf("child: %s", line)
			}
			if line == stage && acked >= round {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked, _ = strconv.Atoi(n)
			}
		}
		cmd.Wait()
		if acked < 0 {
			t.Fatal("the child acknowledged nothing")
		}
		checkCrashBlob(t, path, acked)

		raw := openRaw(t, path)
		if _, err := raw.Exec(`UPDATE blobs SET expires = 2 WHERE expires > 2`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		checkCrashBlob(t, path, acked) // opens, and so sweeps
		raw = openRaw(t, path)
		if chunks, gens := count(t, raw, `SELECT count(*) FROM blob_chunks`), count(t, raw, `SELECT count(*) FROM blobs`); chunks != 3 || gens != 1 {
			t.Fatalf("after the sweep %d chunks in %d generations are stored, want the blob's 3 in 1", chunks, gens)
		}
		raw.Close()
	}
}

func checkCrashBlob(t *testing.T, path string, acked int) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopening after SIGKILL: %v", err)
	}
	defer db.Close()
	rc, err := db.Blobs().Get(context.Background(), "b")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, blobContent(acked)) && !bytes.Equal(got, blobContent(acked+1)) {
		sum := sha256.Sum256(got)
		t.Fatalf("the blob (acked up to %d) is damaged: %d bytes, sha256 %s", acked, len(got), hex.EncodeToString(sum[:8]))
	}
}
