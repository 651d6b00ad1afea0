package share

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"sync"
	"time"
)

// ErrQuota means an upload would take its owner's stored bytes past the limit
// that Service.Quota gives. Deleting items frees room (less their residual
// charge); retrying as is does not.
var ErrQuota = errors.New("share: storage quota exceeded")

// Admission is what the server knows of an upload before it writes any
// payload byte, as Service.Admit sees it. Nothing in it is secret: the
// header is ciphertext, and the sizes are the ones the stores will hold.
type Admission struct {
	// Actor is the uploading user, who owns the item.
	Actor string
	// Item is the uploaded record (SHA256, Size and BlobRef not set yet).
	Item *Item
	// New is true for a new item, false for a new version of one.
	New bool
	// Records is the number of records the upload stores: the item and
	// its wrapped keys.
	Records int
	// PayloadSize is the payload's declared size (see [SizedPayload]), or
	// -1 if the caller did not declare one.
	PayloadSize int64
	// Charge is what the upload adds to the owner's Usage.Bytes once it is
	// stored with PayloadSize bytes (with 0 if PayloadSize is -1); for a
	// new version, less what the version it replaces is charged.
	Charge int64
	// Usage is the owner's stored usage plus the uploads of the owner in
	// flight in this process, before this one.
	Usage Usage
}

// SizedPayload is a payload whose size the caller knows before reading it
// (an HTTP body's Content-Length less the frame). Passed to
// [Service.Upload], it lets admission and the quota see the size before
// any byte is written; a payload that ends before N bytes or goes on after
// them is ErrInvalid. In-process readers with a Len method
// (bytes.Reader, strings.Reader, bytes.Buffer) declare their size too.
type SizedPayload struct {
	R io.Reader // the payload
	N int64     // its exact length in bytes
}

// Read reads from R.
func (p *SizedPayload) Read(b []byte) (int, error) { return p.R.Read(b) }

// declaredSize returns the size a payload declares, or -1.
func declaredSize(blob io.Reader) int64 {
	switch b := blob.(type) {
	case *SizedPayload:
		return max(b.N, -1)
	case interface{ Len() int }:
		return int64(b.Len())
	}
	return -1
}

// Op names a committed operation in a [Change].
type Op string

// The operations a Service reports to Notify.
const (
	OpPublishUser  Op = "publish_user"
	OpUpload       Op = "upload"        // Version: the one stored (1: a new item); Size: its payload's
	OpDelete       Op = "delete"        // Version and Size: the deleted version's
	OpDownload     Op = "download"      // an owner's or recipient's download; Size: the bytes served (a ranged download's, its range's)
	OpShare        Op = "share"         // Subject: the recipient
	OpRevoke       Op = "revoke"        // Subject: the recipient
	OpInvite       Op = "invite"        // Subject: the invitation ID
	OpAccept       Op = "accept"        // Subject: the connection ID
	OpClaim        Op = "claim"         // Subject: the space ID
	OpCreateLink   Op = "create_link"   // Subject: the link ID
	OpLinkDownload Op = "link_download" // Actor and Subject: the link ID
	OpPutManifest  Op = "put_manifest"  // Version: the version the manifest describes
	// OpOrphanBlob reports a blob that no record names and whose delete
	// failed (an upload that failed or lost, a version replaced, a delete):
	// Subject is its BlobStore key. The server deletes it later (a queue,
	// a retry); until then it is ciphertext nobody can reach through the
	// Service, since blob names are fresh per upload and never reused.
	OpOrphanBlob Op = "orphan_blob"
)

// Change is one committed operation, as Service.Notify receives it: what
// the server knows, never a key or a secret.
type Change struct {
	Op    Op
	Actor string // the acting user; a link download's is the link ID
	// Owner is the owner of Item (empty for operations without an item).
	Owner   string
	Item    string
	Subject string // what the operation names besides Item: see each Op
	Version uint64 // the item version the operation concerns
	Size    int64  // the payload size of an upload, download or delete
	// Time is the Created time of the record stored by an upload, a
	// published user, an invitation, an accepted connection or a link;
	// zero for the other operations.
	Time time.Time
}

// Charging (SPEC.md "Quota"). An item is charged its payload, its header
// and its owner's wrapped key as the stores hold them (base64 in JSON), and
// recordOverhead for each of those two records. The keys of recipients are
// not charged: shares add them, capped by MaxRecipients, and a new version
// carries them only for recipients that had one.
const (
	// RecordOverhead is charged for each record beyond its bytes: the
	// backends' row, index and field overhead, rounded up.
	RecordOverhead = 512
	// DeletedRecordCost is charged, for good, for each record a deleted item
	// leaves behind: its tombstone, its audit chain's head, and each entry of
	// its chain. An audit entry's JSON (a signed event with IDs of at most
	// MaxIDLen bytes, a nonce and two hashes) is at most 579 bytes; 1 KiB
	// covers it and its row's keys, and RecordOverhead the rest of the row.
	DeletedRecordCost = RecordOverhead + 1<<10
)

// ItemCharge is what an item version with the owner's wrapped key counts
// against the owner's Usage.Bytes.
func ItemCharge(it *Item, ownerKey *WrappedKey) int64 {
	return it.Size + headCharge(it, ownerKey)
}

// headCharge is an item's charge without its payload.
func headCharge(it *Item, ownerKey *WrappedKey) int64 {
	enc := base64.StdEncoding.EncodedLen
	return 2*RecordOverhead + int64(enc(len(it.Header))) + int64(enc(len(ownerKey.Record)))
}

// DeletedCharge is what a deleted item whose audit chain holds n entries
// keeps charged: otherwise create-and-delete loops would fill the stores
// with tombstones and chains at no cost.
func DeletedCharge(n uint64) int64 {
	const most = math.MaxInt64/DeletedRecordCost - 2
	return DeletedRecordCost * (2 + int64(min(n, most)))
}

// inflight holds the usage that uploads of this process have reserved and
// not yet committed or given up, per owner. Processes sharing one database
// do not see each other's: there the commit's own check (the usage total
// the transaction returns) is what holds the quota.
type inflight struct {
	mu sync.Mutex
	m  map[string]Usage
}

func (f *inflight) get(owner string) Usage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[owner]
}

// reserve adds d to owner's reservation if stored plus every reservation
// plus d stays within limit (a zero field of limit is no limit), and with
// it up to fill bytes more, as many as the limit leaves room for. It
// returns what it reserved and a function that gives it back.
func (f *inflight) reserve(owner string, stored, d, limit Usage, fill int64) (Usage, func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.m[owner]
	total := Usage{stored.Bytes + r.Bytes + d.Bytes, stored.Items + r.Items + d.Items}
	if err := within(total, d, limit); err != nil {
		return Usage{}, nil, err
	}
	if fill > 0 && limit.Bytes > 0 {
		d.Bytes += max(0, min(fill, limit.Bytes-total.Bytes))
	}
	if f.m == nil {
		f.m = map[string]Usage{}
	}
	f.m[owner] = Usage{r.Bytes + d.Bytes, r.Items + d.Items}
	var once sync.Once
	return d, func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			r := f.m[owner]
			r.Bytes, r.Items = r.Bytes-d.Bytes, r.Items-d.Items
			if r == (Usage{}) {
				delete(f.m, owner)
			} else {
				f.m[owner] = r
			}
		})
	}, nil
}

// within checks a usage total that d brought about against limit: a field
// that d raises past its limit is ErrQuota (bytes) or ErrLimit (items).
func within(total, d, limit Usage) error {
	if limit.Items > 0 && d.Items > 0 && total.Items > limit.Items {
		return limitError("items per user", int(min(limit.Items, math.MaxInt32)))
	}
	if limit.Bytes > 0 && d.Bytes > 0 && total.Bytes > limit.Bytes {
		return ErrQuota
	}
	return nil
}

// quota returns owner's limit, the zero Usage (no limit) without a Quota.
func (s *Service) quota(ctx context.Context, owner string) (Usage, error) {
	if s.Quota == nil {
		return Usage{}, nil
	}
	return s.Quota(ctx, owner)
}

// dropBlob deletes a blob that no record names any more; if that fails it
// reports the blob as OpOrphanBlob, so that the server can delete it later.
func (s *Service) dropBlob(ctx context.Context, actor, ref string) {
	if err := s.Blobs.Delete(ctx, ref); err != nil && !errors.Is(err, ErrNotFound) {
		s.notify(ctx, Change{Op: OpOrphanBlob, Actor: actor, Owner: actor, Subject: ref})
	}
}

// notify reports a committed operation.
func (s *Service) notify(ctx context.Context, c Change) {
	if s.Notify == nil {
		return
	}
	if c.Time.IsZero() {
		c.Time = s.now()
	}
	s.Notify(ctx, &c)
}
