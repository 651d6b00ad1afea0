package share

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
)

// BlobStore holds item payloads (ciphertext) by key. Keys are ValidID
// strings; implementations must refuse others. Put streams from r and
// replaces any blob already under key only once r is fully read (a failed
// Put leaves the old blob or nothing, never a partial one). r is often a
// client's upload: while Put waits on it, Put holds no lock that other
// calls or other stores' writes wait for, so a stalled client delays only
// its own upload.
type BlobStore interface {
	// Put stores the bytes read from r under key and returns how many
	// were read.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Get returns the blob under key; ErrNotFound if there is none. The
	// caller must close it.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// GetRange returns n bytes from offset off (fewer at the end).
	GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
	// Delete removes the blob under key; ErrNotFound if there is none.
	Delete(ctx context.Context, key string) error
}

// MemoryBlobs is an in-memory BlobStore.
type MemoryBlobs struct {
	mu    sync.Mutex
	blobs map[string][]byte
}

var _ BlobStore = (*MemoryBlobs)(nil)

// NewMemoryBlobs returns an empty MemoryBlobs.
func NewMemoryBlobs() *MemoryBlobs { return &MemoryBlobs{blobs: map[string][]byte{}} }

func checkBlobKey(key string) error {
	if !ValidID(key) {
		return invalid("blob key")
	}
	return nil
}

// Put implements BlobStore.
func (m *MemoryBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := checkBlobKey(key); err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(r)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[key] = buf.Bytes()
	return n, nil
}

func (m *MemoryBlobs) get(key string) ([]byte, error) {
	if err := checkBlobKey(key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[key]
	if !ok {
		return nil, ErrNotFound
	}
	return b, nil // never mutated after Put
}

// Get implements BlobStore.
func (m *MemoryBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	b, err := m.get(key)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// GetRange implements BlobStore.
func (m *MemoryBlobs) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	b, err := m.get(key)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off > int64(len(b)) {
		return nil, invalid("range")
	}
	return io.NopCloser(io.NewSectionReader(bytes.NewReader(b), off, n)), nil
}

// Delete implements BlobStore.
func (m *MemoryBlobs) Delete(ctx context.Context, key string) error {
	if err := checkBlobKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[key]; !ok {
		return ErrNotFound
	}
	delete(m.blobs, key)
	return nil
}

// FileBlobs stores blobs as files in one directory, opened as an os.Root so
// that no key can name a path outside it (keys are also checked with ValidID,
// which allows no separators and no leading dot). Put writes a temporary
// file, syncs it, renames it into place and syncs the directory.
type FileBlobs struct {
	dir  string
	root *os.Root
}

var _ BlobStore = (*FileBlobs)(nil)

// NewFileBlobs opens (creating if needed) dir as a blob store.
func NewFileBlobs(dir string) (*FileBlobs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &FileBlobs{dir: dir, root: root}, nil
}

// Close releases the directory handle.
func (f *FileBlobs) Close() error { return f.root.Close() }

func mapFSErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// Put implements BlobStore.
func (f *FileBlobs) Put(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	if err := checkBlobKey(key); err != nil {
		return 0, err
	}
	tmpName := ".tmp-" + key + "-" + rand.Text()
	tmp, err := f.root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			f.root.Remove(tmpName)
		}
	}()
	if n, err = io.Copy(tmp, r); err != nil {
		return 0, err
	}
	if err = tmp.Sync(); err != nil {
		return 0, err
	}
	if err = tmp.Close(); err != nil {
		return 0, err
	}
	if err = f.root.Rename(tmpName, key); err != nil {
		return 0, err
	}
	if d, derr := f.root.Open("."); derr == nil {
		d.Sync() // best effort: some filesystems refuse to sync directories
		d.Close()
	}
	return n, nil
}

// Get implements BlobStore.
func (f *FileBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkBlobKey(key); err != nil {
		return nil, err
	}
	fh, err := f.root.Open(key)
	if err != nil {
		return nil, mapFSErr(err)
	}
	return fh, nil
}

type sectionCloser struct {
	*io.SectionReader
	io.Closer
}

// GetRange implements BlobStore.
func (f *FileBlobs) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := checkBlobKey(key); err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, invalid("range")
	}
	fh, err := f.root.Open(key)
	if err != nil {
		return nil, mapFSErr(err)
	}
	return sectionCloser{io.NewSectionReader(fh, off, n), fh}, nil
}

// Delete implements BlobStore.
func (f *FileBlobs) Delete(ctx context.Context, key string) error {
	if err := checkBlobKey(key); err != nil {
		return err
	}
	return mapFSErr(f.root.Remove(key))
}
