package sftpd

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// partialMarker and a 16-hex-digit suffix end an upload's temporary name:
// ".<name>.partial-0123456789abcdef".
const (
	partialMarker    = ".partial-"
	partialSuffixLen = 16
)

func partialName(base string) string {
	var b [partialSuffixLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "." + base + partialMarker + hex.EncodeToString(b[:])
}

func isPartialName(name string) bool {
	i := len(name) - partialSuffixLen - len(partialMarker)
	if i < 2 || name[0] != '.' || name[i:i+len(partialMarker)] != partialMarker {
		return false
	}
	for _, c := range name[len(name)-partialSuffixLen:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// upload is one file being written: the client writes into a hidden partial
// file, Close renames it to its final name and reports the event, and a
// transfer error (the connection dropped) removes it.
type upload struct {
	j       *jail
	name    string // final name, relative to the root
	partial string // temporary name, relative to the root

	mu      sync.Mutex
	f       *os.File // nil once closed or failed
	failed  error    // sticky: every later write and the close report it
	aborted error    // the connection dropped before the close
	done    bool
}

func (j *jail) newUpload(name string, flags sftp.FileOpenFlags) (*upload, error) {
	switch {
	case name == ".":
		return nil, &fs.PathError{Op: "open", Path: "/", Err: syscall.EISDIR}
	case hidden(name):
		return nil, denied("open", name, "reserved name")
	}
	if err := j.checkNameLength("open", name); err != nil {
		return nil, err
	}
	fi, err := j.root.Lstat(name)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, clientError("open", name, err)
	case exists && fi.IsDir():
		return nil, &fs.PathError{Op: "open", Path: display(name), Err: syscall.EISDIR}
	case exists && flags.Creat && flags.Excl:
		return nil, &fs.PathError{Op: "open", Path: display(name), Err: syscall.EEXIST}
	case !exists && !flags.Creat:
		return nil, notExist("open", name)
	}
	dir, base := path.Split(name)
	u := &upload{j: j, name: name, partial: path.Join(dir, partialName(base))}
	u.f, err = j.root.OpenFile(u.partial, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return nil, clientError("open", name, err)
	}
	if exists && !flags.Trunc {
		// Without O_TRUNC the client means to change or extend what is
		// there (resumed "reput"): start from the current content.
		if err := u.copyExisting(); err != nil {
			u.discard()
			return nil, err
		}
	}
	j.mu.Lock()
	j.uploads[name] = u
	j.mu.Unlock()
	return u, nil
}

func (u *upload) copyExisting() error {
	src, err := u.j.root.Open(u.name)
	if err != nil {
		return clientError("open", u.name, err)
	}
	defer src.Close()
	n, err := io.Copy(u.f, io.LimitReader(src, u.j.s.maxSize+1))
	if err != nil {
		return clientError("open", u.name, err)
	}
	if n > u.j.s.maxSize {
		return u.tooLarge()
	}
	return nil
}

func (u *upload) tooLarge() error {
	return fmt.Errorf("write %s: file exceeds the maximum size of %d bytes", display(u.name), u.j.s.maxSize)
}

// WriteAt writes into the partial file. Writing past the size cap fails
// the upload: the partial is removed at once.
func (u *upload) WriteAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failed != nil {
		return 0, u.failed
	}
	if u.f == nil {
		return 0, fmt.Errorf("write %s: %w", display(u.name), os.ErrClosed)
	}
	if off < 0 || off+int64(len(p)) > u.j.s.maxSize || off+int64(len(p)) < off {
		u.fail(u.tooLarge())
		return 0, u.failed
	}
	n, err := u.f.WriteAt(p, off)
	if err != nil {
		return n, clientError("write", u.name, err)
	}
	return n, nil
}

// ReadAt reads back from the partial file (handles opened read-write).
func (u *upload) ReadAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failed != nil {
		return 0, u.failed
	}
	if u.f == nil {
		return 0, fmt.Errorf("read %s: %w", display(u.name), os.ErrClosed)
	}
	return u.f.ReadAt(p, off)
}

func (u *upload) stat() (fs.FileInfo, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.f == nil {
		return nil, notExist("stat", u.name)
	}
	fi, err := u.f.Stat()
	if err != nil {
		return nil, clientError("stat", u.name, err)
	}
	return fi, nil
}

func (u *upload) truncate(size int64) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.failed != nil {
		return u.failed
	}
	if u.f == nil {
		return notExist("truncate", u.name)
	}
	if size > u.j.s.maxSize {
		return fmt.Errorf("truncate %s: %d bytes exceeds the maximum file size of %d bytes", display(u.name), size, u.j.s.maxSize)
	}
	if err := u.f.Truncate(size); err != nil {
		return clientError("truncate", u.name, err)
	}
	return nil
}

// TransferError is called by pkg/sftp when the session ends with this
// handle still open; the Close that follows then discards the upload.
func (u *upload) TransferError(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.aborted = err
}

// Close finishes the upload: rename to the final name, audit, OnUpload.
func (u *upload) Close() error {
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return nil
	}
	u.done = true
	failed, aborted := u.failed, u.aborted
	u.mu.Unlock()
	u.j.forget(u)

	switch {
	case failed != nil:
		return failed // audited and cleaned up when it failed
	case aborted != nil:
		u.discard()
		u.j.audit(EventUploadAborted, u.name, "connection lost before close: "+aborted.Error(), nil)
		return aborted
	}
	local := filepath.Join(u.j.acct.root, filepath.FromSlash(u.name))
	announced, err := u.awaitTurn(local)
	defer announced()
	if err != nil {
		u.discard()
		u.j.audit(EventUploadAborted, u.name, "", err)
		return err
	}
	fi, err := u.commit()
	if err != nil {
		err = clientError("close", u.name, err)
		u.discard()
		u.j.audit(EventUploadFailed, u.name, "", err)
		return err
	}
	ev := Upload{
		Account:    u.j.acct.name,
		Path:       u.name,
		LocalPath:  local,
		Size:       fi.Size(),
		RemoteAddr: u.j.remote,
		Time:       time.Now(),
	}
	u.j.audit(EventUpload, u.name, fmt.Sprintf("%d bytes", ev.Size), nil)
	if u.j.s.onUpload != nil {
		u.j.s.onUpload(ev)
	}
	return nil
}

// awaitTurn waits until every earlier upload of the same local path has
// been announced (its OnUpload returned), so this one never replaces a
// file its consumer has not taken yet; in arrival order, since each waits
// for the one before. announced must be called once this upload has been
// announced or has failed, whatever the error.
func (u *upload) awaitTurn(local string) (announced func(), err error) {
	s := u.j.s
	mine := make(chan struct{})
	s.mu.Lock()
	prev := s.announcing[local]
	s.announcing[local] = mine
	s.mu.Unlock()
	announced = func() {
		s.mu.Lock()
		if s.announcing[local] == mine {
			delete(s.announcing, local)
		}
		s.mu.Unlock()
		close(mine)
	}
	if prev == nil {
		return announced, nil
	}
	select {
	case <-prev:
		return announced, nil
	default:
	}
	u.j.audit(EventUploadQueued, u.name, "waits until the earlier upload of this name has been taken", nil)
	select {
	case <-prev:
		return announced, nil
	case <-s.done:
		return announced, fmt.Errorf("close %s: server shutting down: %w", display(u.name), sftp.ErrSSHFxConnectionLost)
	}
}

// commit closes the partial file and gives it its final name.
func (u *upload) commit() (fs.FileInfo, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fi, err := u.f.Stat()
	if cerr := u.f.Close(); err == nil {
		err = cerr
	}
	u.f = nil
	if err != nil {
		return nil, err
	}
	return fi, u.j.root.Rename(u.partial, u.name)
}

// fail makes err sticky, removes the partial and audits; u.mu is held.
func (u *upload) fail(err error) {
	u.failed = err
	u.discardLocked()
	u.j.audit(EventUploadFailed, u.name, "", err)
}

func (u *upload) discard() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.discardLocked()
}

func (u *upload) discardLocked() {
	if u.f != nil {
		_ = u.f.Close()
		u.f = nil
	}
	if err := u.j.root.Remove(u.partial); err != nil && !errors.Is(err, fs.ErrNotExist) {
		u.j.s.log.Warn("sftp: remove partial upload", "account", u.j.acct.name, "path", u.partial, "err", err)
	}
}

func (j *jail) forget(u *upload) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.uploads[u.name] == u {
		delete(j.uploads, u.name)
	}
}
