package sftpd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// File and directory modes for what clients create. The owner keeps read
// and write access whatever a client's chmod says, so the facility (same
// user) can always read what arrived.
const (
	fileMode = 0o640
	dirMode  = 0o750
)

// jail implements pkg/sftp's request-server handlers for one session over
// an os.Root, which refuses "..", absolute paths and symlinks leading out
// of the account's directory.
type jail struct {
	s      *Server
	acct   *account
	root   *os.Root
	remote string

	mu      sync.Mutex
	uploads map[string]*upload // in-progress uploads of this session by final path
}

var (
	_ sftp.OpenFileWriter       = (*jail)(nil)
	_ sftp.PosixRenameFileCmder = (*jail)(nil)
	_ sftp.LstatFileLister      = (*jail)(nil)
	_ sftp.RealPathFileLister   = (*jail)(nil)
	_ sftp.ReadlinkFileLister   = (*jail)(nil)
)

func newJail(s *Server, acct *account, root *os.Root, remote string) *jail {
	return &jail{s: s, acct: acct, root: root, remote: remote, uploads: make(map[string]*upload)}
}

// rel turns a request path (already cleaned and "/"-rooted by pkg/sftp) into
// a name relative to the root; "." is the root itself.
func rel(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// display is how a relative name appears to the client.
func display(name string) string {
	if name == "." {
		return "/"
	}
	return "/" + name
}

// hidden reports whether any component of name is an upload's temporary
// file: those do not exist as far as clients are concerned.
func hidden(name string) bool {
	for c := range strings.SplitSeq(name, "/") {
		if isPartialName(c) {
			return true
		}
	}
	return false
}

// clientError translates a filesystem error into one that pkg/sftp maps to
// the right SFTP status, naming the path as the client sees it (never the
// host path).
func clientError(op, name string, err error) error {
	p := display(name)
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &fs.PathError{Op: op, Path: p, Err: syscall.ENOENT}
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: %w", op, p, sftp.ErrSSHFxPermissionDenied)
	case errors.As(err, &errno):
		return &fs.PathError{Op: op, Path: p, Err: errno}
	}
	// os.Root's own refusals (a path escaping the root through a symlink)
	// are not errnos: report them as what they are, a permission problem.
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("%s %s: %v: %w", op, p, err, sftp.ErrSSHFxPermissionDenied)
}

// checkNameLength refuses a file name longer than the server accepts
// (Config.MaxNameLength), with a message that says so.
func (j *jail) checkNameLength(op, name string) error {
	if n := len(path.Base(name)); n > j.s.maxName {
		return denied(op, name, fmt.Sprintf("file name is %d bytes long, over the limit of %d", n, j.s.maxName))
	}
	return nil
}

func notExist(op, name string) error {
	return &fs.PathError{Op: op, Path: display(name), Err: syscall.ENOENT}
}

func denied(op, name, why string) error {
	return fmt.Errorf("%s %s: %s: %w", op, display(name), why, sftp.ErrSSHFxPermissionDenied)
}

// audit records a file operation; a non-nil err becomes "error: …".
func (j *jail) audit(event, name, detail string, err error) {
	if err != nil {
		if detail != "" {
			detail += "; "
		}
		detail += "error: " + err.Error()
	}
	j.s.record(AuditEntry{Account: j.acct.name, RemoteAddr: j.remote, Event: event, Path: name, Detail: detail})
}

// Fileread opens a file for download.
func (j *jail) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	name := rel(r.Filepath)
	f, err := j.openRead(name)
	j.audit(EventDownload, name, "", err)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (j *jail) openRead(name string) (*os.File, error) {
	if hidden(name) {
		return nil, notExist("open", name)
	}
	// Stat first so a FIFO or device planted in the root cannot block the
	// session on open.
	fi, err := j.root.Stat(name)
	if err != nil {
		return nil, clientError("open", name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: display(name), Err: syscall.EISDIR}
	}
	f, err := j.root.Open(name)
	if err != nil {
		return nil, clientError("open", name, err)
	}
	return f, nil
}

// Filewrite opens a file for upload (write only).
func (j *jail) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return j.startUpload(r)
}

// OpenFile opens a file for upload when the client also asked to read
// (pkg/sftp's Client.Create does: O_RDWR|O_CREATE|O_TRUNC).
func (j *jail) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return j.startUpload(r)
}

func (j *jail) startUpload(r *sftp.Request) (*upload, error) {
	name := rel(r.Filepath)
	u, err := j.newUpload(name, r.Pflags())
	if err != nil {
		j.audit(EventUploadFailed, name, "open", err)
		return nil, err
	}
	return u, nil
}

// Filecmd handles Setstat, Rename, Rmdir, Mkdir, Link, Symlink and Remove.
func (j *jail) Filecmd(r *sftp.Request) error {
	name := rel(r.Filepath)
	switch r.Method {
	case "Setstat":
		detail, err := j.setstat(name, r)
		j.audit(EventSetstat, name, detail, err)
		return err
	case "Rename":
		return j.rename(name, rel(r.Target), false)
	case "Mkdir":
		err := j.mkdir(name)
		j.audit(EventMkdir, name, "", err)
		return err
	case "Rmdir":
		err := j.remove(name, true)
		j.audit(EventRmdir, name, "", err)
		return err
	case "Remove":
		err := j.remove(name, false)
		j.audit(EventRemove, name, "", err)
		return err
	case "Symlink", "Link":
		// For Symlink pkg/sftp puts the link's name in Target.
		link := rel(r.Target)
		err := denied(strings.ToLower(r.Method), link, "links cannot be created on this server")
		j.audit(EventDenied, link, strings.ToLower(r.Method)+" to "+r.Filepath, err)
		return err
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename renames, replacing an existing target (posix-rename@openssh.com).
func (j *jail) PosixRename(r *sftp.Request) error {
	return j.rename(rel(r.Filepath), rel(r.Target), true)
}

func (j *jail) rename(from, to string, replace bool) error {
	err := j.doRename(from, to, replace)
	j.audit(EventRename, from, "to "+to, err)
	return err
}

func (j *jail) doRename(from, to string, replace bool) error {
	switch {
	case hidden(from):
		return notExist("rename", from)
	case hidden(to):
		return denied("rename", to, "reserved name")
	case from == "." || to == ".":
		return denied("rename", ".", "the root directory cannot be renamed")
	}
	if err := j.checkNameLength("rename", to); err != nil {
		return err
	}
	if _, err := j.root.Lstat(from); err != nil {
		return clientError("rename", from, err)
	}
	if !replace {
		// SFTP v3 rename does not overwrite (as OpenSSH's server); clients
		// that want to replace use posix-rename.
		if _, err := j.root.Lstat(to); err == nil {
			return &fs.PathError{Op: "rename", Path: display(to), Err: syscall.EEXIST}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return clientError("rename", to, err)
		}
	}
	if err := j.root.Rename(from, to); err != nil {
		return clientError("rename", to, err)
	}
	return nil
}

func (j *jail) mkdir(name string) error {
	if hidden(name) {
		return denied("mkdir", name, "reserved name")
	}
	if err := j.root.Mkdir(name, dirMode); err != nil {
		return clientError("mkdir", name, err)
	}
	return nil
}

func (j *jail) remove(name string, dir bool) error {
	op := "remove"
	if dir {
		op = "rmdir"
	}
	if hidden(name) {
		return notExist(op, name)
	}
	if name == "." {
		return denied(op, name, "the root directory cannot be removed")
	}
	fi, err := j.root.Lstat(name)
	if err != nil {
		return clientError(op, name, err)
	}
	if dir != fi.IsDir() {
		errno := syscall.EISDIR
		if dir {
			errno = syscall.ENOTDIR
		}
		return &fs.PathError{Op: op, Path: display(name), Err: errno}
	}
	if err := j.root.Remove(name); err != nil {
		return clientError(op, name, err)
	}
	return nil
}

// setstat applies permissions, times and size, to the upload in progress
// when the path is one this session is writing (fsetstat on an open handle
// arrives here with the final name), otherwise to the file on disk.
// Ownership changes are accepted and ignored.
func (j *jail) setstat(name string, r *sftp.Request) (string, error) {
	if hidden(name) {
		return "", notExist("setstat", name)
	}
	flags, attrs := r.AttrFlags(), r.Attributes()
	target := name
	var detail []string
	u := j.uploadOf(name)
	if u != nil {
		target = u.partial
		detail = append(detail, "open upload")
	}
	if flags.Size {
		detail = append(detail, fmt.Sprintf("size=%d", attrs.Size))
		var err error
		if u != nil {
			err = u.truncate(int64(attrs.Size))
		} else {
			err = j.truncate(name, attrs.Size)
		}
		if err != nil {
			return strings.Join(detail, " "), err
		}
	}
	if flags.Permissions && name != "." {
		fi, err := j.root.Stat(target)
		if err != nil {
			return strings.Join(detail, " "), clientError("setstat", name, err)
		}
		keep := os.FileMode(0o600)
		if fi.IsDir() {
			keep = 0o700
		}
		mode := os.FileMode(attrs.Mode)&0o777 | keep
		detail = append(detail, fmt.Sprintf("mode=%#o", mode))
		if err := j.root.Chmod(target, mode); err != nil {
			return strings.Join(detail, " "), clientError("setstat", name, err)
		}
	}
	if flags.Acmodtime {
		atime, mtime := time.Unix(int64(attrs.Atime), 0), time.Unix(int64(attrs.Mtime), 0)
		detail = append(detail, "mtime="+mtime.UTC().Format(time.RFC3339))
		if err := j.root.Chtimes(target, atime, mtime); err != nil {
			return strings.Join(detail, " "), clientError("setstat", name, err)
		}
	}
	return strings.Join(detail, " "), nil
}

func (j *jail) truncate(name string, size uint64) error {
	if size > uint64(j.s.maxSize) {
		return fmt.Errorf("truncate %s: %d bytes exceeds the maximum file size of %d bytes", display(name), size, j.s.maxSize)
	}
	fi, err := j.root.Stat(name)
	if err != nil {
		return clientError("truncate", name, err)
	}
	if !fi.Mode().IsRegular() {
		return &fs.PathError{Op: "truncate", Path: display(name), Err: syscall.EISDIR}
	}
	f, err := j.root.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return clientError("truncate", name, err)
	}
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		return clientError("truncate", name, err)
	}
	return nil
}

// Filelist handles List and Stat (and Readlink, which never gets here).
func (j *jail) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	name := rel(r.Filepath)
	if hidden(name) {
		return nil, notExist(strings.ToLower(r.Method), name)
	}
	switch r.Method {
	case "List":
		return j.list(name)
	case "Stat":
		// fstat on a handle being uploaded arrives with the final name.
		if u := j.uploadOf(name); u != nil {
			fi, err := u.stat()
			if err != nil {
				return nil, err
			}
			return listerAt{renamed{fi, path.Base(name)}}, nil
		}
		fi, err := j.root.Stat(name)
		if err != nil {
			return nil, clientError("stat", name, err)
		}
		return listerAt{fi}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// Lstat stats without following a final symlink.
func (j *jail) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	name := rel(r.Filepath)
	if hidden(name) {
		return nil, notExist("lstat", name)
	}
	fi, err := j.root.Lstat(name)
	if err != nil {
		return nil, clientError("lstat", name, err)
	}
	return listerAt{fi}, nil
}

// Readlink is refused: links are the operator's business, and a target
// outside the root would reveal host paths.
func (j *jail) Readlink(p string) (string, error) {
	name := rel(p)
	err := denied("readlink", name, "reading links is not supported")
	j.audit(EventDenied, name, "readlink", err)
	return "", err
}

// RealPath resolves lexically against "/", the root of the jail, so ".."
// never leads above it.
func (j *jail) RealPath(p string) (string, error) {
	return path.Clean("/" + p), nil
}

func (j *jail) list(name string) (sftp.ListerAt, error) {
	f, err := j.root.Open(name)
	if err != nil {
		return nil, clientError("opendir", name, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, clientError("readdir", name, err)
	}
	out := make(listerAt, 0, len(entries))
	for _, e := range entries {
		if isPartialName(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		out = append(out, fi)
	}
	slices.SortFunc(out, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

func (j *jail) uploadOf(name string) *upload {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.uploads[name]
}

// listerAt serves a fixed list of entries.
type listerAt []fs.FileInfo

func (l listerAt) ListAt(dst []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[off:])
	if off+int64(n) >= int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}

// renamed reports a file under another name (a partial as its final name).
type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }
